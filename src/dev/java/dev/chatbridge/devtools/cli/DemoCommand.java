package dev.chatbridge.devtools.cli;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.cli.ApiOptions;
import dev.chatbridge.cli.CliContext;
import dev.chatbridge.cli.ConfigOptions;
import dev.chatbridge.cli.KafkaIo;
import dev.chatbridge.cli.Lifecycle;
import dev.chatbridge.cli.LogSetup;
import dev.chatbridge.cli.RequestJson;
import dev.chatbridge.cli.RunCommand;
import dev.chatbridge.cli.RunningService;
import dev.chatbridge.cli.ServiceRunner;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.devtools.Directories;
import dev.chatbridge.events.ChatRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code chat-bridge demo}: everything in one process, with sample traffic. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Zero-config demo on 127.0.0.1: an embedded Kafka broker, schema registry and API simulator",
            "(or the real API when chat.api.url and a key are configured), the service, and a sample of",
            "conversations (an answer with tools, a 400 dead letter, a 429 that is retried). Prints each outcome.",
            "With --exit it stops once every request has exactly one outcome (exit 0) or at --timeout (exit 1);",
            "otherwise it keeps running until Ctrl-C so you can use send and tail.",
            "Log lines (the effective configuration, Kafka's warnings) go to a file named at start; errors are",
            "also printed. --verbose prints every log line instead."
        })
final class DemoCommand implements Callable<Integer> {

    private static final Duration POLL = Duration.ofMillis(200);

    private final CliContext context;

    @Mixin
    ConfigOptions config;

    @Mixin
    ApiOptions api;

    @Mixin
    LocalStackPorts ports;

    @Mixin
    LocalLogs logs;

    @Option(
            names = "--metrics-port",
            defaultValue = "9404",
            description = "Metrics port (0 = free; default ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
            names = "--requests",
            paramLabel = "N",
            defaultValue = "12",
            description = "Sample requests (at least 3; default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--exit", description = "Exit once every request has one outcome.")
    boolean exit;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "120",
            description = "With --exit, give up after this long (default ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    DemoCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        if (requests < DemoTraffic.MIN_REQUESTS) {
            context.err().println("error: --requests must be at least " + DemoTraffic.MIN_REQUESTS);
            return RunCommand.CONFIG_ERROR;
        }
        ChatBridgeConfig given;
        try {
            given = config.load(context, api.flags()).parse();
            LogSetup.apply(given.logFormat());
        } catch (InvalidConfigurationException e) {
            e.problems().forEach(p -> context.err().println("error: " + p));
            return RunCommand.CONFIG_ERROR;
        } catch (UncheckedIOException e) {
            context.err().println("error: " + e.getMessage());
            return RunCommand.CONFIG_ERROR;
        }
        boolean realApi = given.string(ChatBridgeConfig.API_URL) != null
                && (given.string(ChatBridgeConfig.API_KEY_FILE) != null
                        || given.secret(ChatBridgeConfig.API_KEY) != null);
        long started = System.nanoTime();
        Path stateDir = Files.createTempDirectory("chatbridge-demo-state-");
        Lifecycle lifecycle = new Lifecycle(context, Duration.ofSeconds(90));
        try (LocalLogs.Redirect logFile = logs.start("chatbridge-demo-", given.logFormat())) {
            context.out().println("Starting the chat-bridge demo on 127.0.0.1 ...");
            if (logFile.notice() != null) {
                context.out().println(logFile.notice());
            }
            context.out().flush();
            return demo(realApi, stateDir, lifecycle, started);
        } finally {
            Directories.deleteRecursively(stateDir);
        }
    }

    private int demo(boolean realApi, Path stateDir, Lifecycle lifecycle, long started) {
        try (LocalStack stack = ports.start(!realApi)) {
            ChatBridgeConfig demo = config.loadQuietly(context, demoSettings(stack, stateDir, realApi))
                    .parse();
            stack.printAddresses(context.out());
            if (realApi) {
                context.out()
                        .println("  API:                     " + demo.string(ChatBridgeConfig.API_URL)
                                + " (configured)");
            }
            try (RunningService service = ServiceRunner.start(demo)) {
                context.out()
                        .println("  Metrics and health:      " + service.opsUrl()
                                + "/metrics, /health/live, /health/ready");
                return lifecycle.finished(traffic(demo, service.app(), lifecycle, started));
            }
        } catch (InvalidConfigurationException e) {
            e.problems().forEach(p -> context.err().println("error: " + p));
            return lifecycle.finished(RunCommand.CONFIG_ERROR);
        } catch (IllegalStateException e) {
            context.err().println("error: " + e.getMessage());
            return lifecycle.finished(1);
        }
    }

    private Map<String, String> demoSettings(LocalStack stack, Path stateDir, boolean realApi) {
        Map<String, String> s = new LinkedHashMap<>(api.flags());
        s.put("bootstrap.servers", stack.bootstrapServers());
        s.put("schema.registry.url", stack.registryUrl());
        s.put("application.id", "chat-bridge-demo");
        s.put("state.dir", stateDir.toString());
        s.put(ChatBridgeConfig.TOPICS_CREATE, "true");
        s.put(ChatBridgeConfig.TOPICS_PARTITIONS, "3");
        s.put(ChatBridgeConfig.TOPICS_REPLICATION_FACTOR, "1");
        s.put(ChatBridgeConfig.METRICS_HOST, "127.0.0.1");
        s.put(ChatBridgeConfig.METRICS_PORT, Integer.toString(metricsPort));
        // The demo prints every outcome itself; an audit line per call would bury it. Deployments keep the default.
        s.put(ChatBridgeConfig.AUDIT_LOG, "false");
        if (!realApi) {
            s.put(ChatBridgeConfig.API_URL, stack.apiUrl());
            s.put(ChatBridgeConfig.API_KEY, LocalStack.SIMULATOR_KEY);
            s.put(ChatBridgeConfig.API_KEY_FILE, "");
        }
        return s;
    }

    private int traffic(ChatBridgeConfig demo, ChatBridgeApp app, Lifecycle lifecycle, long started) {
        String run = "demo-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36, 36 * 36 * 36), 36);
        List<ChatRequest> sample = DemoTraffic.requests(requests, run);
        Set<String> ids = sample.stream().map(ChatRequest::getRequestId).collect(Collectors.toSet());
        OutcomeTracker tracker = new OutcomeTracker(ids, context.out());
        try (KafkaIo.OutcomeReader reader = new KafkaIo.OutcomeReader(demo, true);
                KafkaProducer<String, ChatRequest> producer = KafkaIo.requestProducer(demo)) {
            for (ChatRequest r : sample) {
                producer.send(new ProducerRecord<>(demo.engine().requestsTopic(), RequestJson.threadKey(r), r));
            }
            producer.flush();
            context.out()
                    .println("Published " + sample.size() + " requests in "
                            + sample.stream()
                                    .map(ChatRequest::getThreadId)
                                    .distinct()
                                    .count() + " threads to " + demo.engine().requestsTopic()
                            + "; outcomes:");
            context.out().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (!context.stopRequested()) {
                reader.poll(POLL).forEach(tracker::accept);
                String failure = ServiceRunner.failure(app);
                if (failure != null) {
                    context.err().println("error: " + failure);
                    return 1;
                }
                if (exit && tracker.complete()) {
                    break;
                }
                if (exit && System.nanoTime() - deadline > 0) {
                    context.out().println(tracker.summary());
                    context.err().println("error: not every request had an outcome within " + timeoutSeconds + " s");
                    return 1;
                }
            }
        }
        context.out()
                .println(
                        tracker.summary() + String.format("; %.1f s since start", (System.nanoTime() - started) / 1e9));
        if (!exit) {
            return 0;
        }
        return tracker.duplicates() == 0 ? 0 : 1;
    }
}
