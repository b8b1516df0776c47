package dev.chatbridge.cli;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.Redaction;
import dev.chatbridge.config.ServiceSettings;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code run} code path shared by {@code run} and {@code demo}: validate, log the effective
 * configuration once (secrets redacted), make sure the topics exist, start a {@link ChatBridgeApp}.
 */
final class ServiceRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);

    private ServiceRunner() {
    }

    /**
     * Starts one instance.
     *
     * @throws dev.chatbridge.config.InvalidConfigurationException one line per configuration problem
     * @throws IllegalStateException when the topics are missing (and not to be created) or Kafka is unreachable
     */
    static ChatBridgeApp start(ChatBridgeConfig config) {
        ChatBridgeApp.Settings settings = ServiceSettings.forRun(config);
        LOG.info("chat-bridge effective configuration:\n{}", Redaction.effectiveConfiguration(config));
        TopicCheck.ensureTopics(config, settings.engine(), ServiceSettings.clientProperties(config));
        ChatBridgeApp app = ChatBridgeApp.create(settings);
        return app.start();
    }

    /** Null while the instance is healthy; otherwise why it stopped on its own. */
    static String failure(ChatBridgeApp app) {
        if (app.isLive()) {
            return null;
        }
        KafkaStreams.State state = app.streams().state();
        return "Kafka Streams stopped unexpectedly (state " + state + "); see the log above for the cause";
    }
}
