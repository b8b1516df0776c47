package dev.chatbridge.cli;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.app.OutputBudget;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.Redaction;
import dev.chatbridge.config.ServiceSettings;
import dev.chatbridge.observability.Health;
import dev.chatbridge.observability.OpsServer;
import dev.chatbridge.observability.ServiceRegistry;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code run} code path shared by {@code run} and {@code demo}: validate, log the effective configuration once
 * (secrets redacted), make sure the topics exist, start a {@link ChatBridgeApp} with its metrics and its ops server
 * (metrics and health endpoints).
 */
public final class ServiceRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceRunner.class);

    private ServiceRunner() {}

    /**
     * Starts one instance.
     *
     * @throws dev.chatbridge.config.InvalidConfigurationException one line per configuration problem, size limits of
     *     the topics and the producer that do not fit chat.response.max.bytes included
     * @throws IllegalStateException when the topics are missing (and not to be created) or Kafka is unreachable
     */
    public static RunningService start(ChatBridgeConfig config) {
        ChatBridgeApp.Settings given = ServiceSettings.forRun(config);
        LOG.info("chat-bridge effective configuration:\n{}", Redaction.effectiveConfiguration(config));
        Map<String, Object> clientProps = ServiceSettings.clientProperties(config);
        TopicCheck.ensureTopics(config, given.engine(), clientProps);
        Map<String, Integer> topicLimits = TopicCheck.checkSizes(given.engine(), given.streams(), clientProps);
        // The app's output size guard then knows the topics' limits, not only the producer's.
        ChatBridgeApp.Settings settings = given.withStreams(OutputBudget.withTopicLimits(given.streams(), topicLimits));
        String host = config.string(ChatBridgeConfig.METRICS_HOST);
        ServiceRegistry metrics = ServiceRegistry.create();
        ChatBridgeApp app = null;
        try {
            app = ChatBridgeApp.create(settings, metrics.registry());
            OpsServer ops = OpsServer.start(
                    host,
                    config.integer(ChatBridgeConfig.METRICS_PORT),
                    metrics.registry(),
                    Health.of(
                            app.streams(),
                            app.resources().pause(),
                            app.resources().registryWait()));
            RunningService service = new RunningService(app, metrics, ops, host);
            LOG.info("Metrics and health on {} (/metrics, /health/live, /health/ready)", service.opsUrl());
            app.start();
            return service;
        } catch (RuntimeException e) {
            if (app != null) {
                app.close();
            }
            metrics.close();
            throw e;
        }
    }

    /** Null while the instance is healthy; otherwise why it stopped on its own, with the exception that stopped it. */
    public static String failure(ChatBridgeApp app) {
        if (app.isLive()) {
            return null;
        }
        KafkaStreams.State state = app.streams().state();
        return "Kafka Streams stopped unexpectedly (state " + state + ")"
                + app.failure()
                        .map(e -> ": " + describe(e) + " (the log above has the stack trace)")
                        .orElse("; the log above says why");
    }

    /** An exception and its causes, one {@code Class: message} each, outermost first, bounded in length. */
    static String describe(Throwable exception) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = exception; t != null && depth < 4; t = t.getCause(), depth++) {
            if (depth > 0) {
                text.append("; caused by ");
            }
            text.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                String message = t.getMessage().strip();
                text.append(": ").append(message.length() > 300 ? message.substring(0, 300) + "..." : message);
            }
        }
        return text.toString();
    }
}
