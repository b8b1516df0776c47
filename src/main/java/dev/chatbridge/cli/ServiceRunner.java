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
import java.util.function.Consumer;
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
        return start(
                settings,
                config.string(ChatBridgeConfig.METRICS_HOST),
                config.integer(ChatBridgeConfig.METRICS_PORT),
                ChatBridgeApp::start);
    }

    /**
     * Builds the app, its meter registry and its ops server, then starts the app with {@code starter} (a test seam;
     * {@link ChatBridgeApp#start()} in production). When any step fails, what was already built is closed in reverse
     * order (ops server, app, registry) and the failure is rethrown, with close failures added as suppressed.
     */
    static RunningService start(
            ChatBridgeApp.Settings settings, String host, int port, Consumer<ChatBridgeApp> starter) {
        ServiceRegistry metrics = ServiceRegistry.create();
        ChatBridgeApp app = null;
        OpsServer ops = null;
        try {
            app = ChatBridgeApp.create(settings, metrics.registry());
            ops = OpsServer.start(
                    host,
                    port,
                    metrics.registry(),
                    Health.of(
                            app.streams(),
                            app.resources().pause(),
                            app.resources().registryWait()));
            RunningService service = new RunningService(app, metrics, ops, host);
            LOG.info("Metrics and health on {} (/metrics, /health/live, /health/ready)", service.opsUrl());
            starter.accept(app);
            return service;
        } catch (RuntimeException e) {
            closeQuietly(ops, e);
            closeQuietly(app, e);
            closeQuietly(metrics, e);
            throw e;
        }
    }

    private static void closeQuietly(AutoCloseable resource, RuntimeException failure) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
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
