package dev.chatbridge.devtools.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * How the benchmark starts its child JVMs: JVM options, and settings added to every bridge ({@code --child-set}). The
 * bridge gets its settings as {@code run} flags, the API key through {@code CHAT_BRIDGE_API_KEY}; exactly-once v2,
 * topics created by the benchmark, its own {@code application.id} and state directory, and the product's defaults for
 * everything else.
 *
 * @param jvmOptions options before the main class (heap size)
 * @param bridgeSets extra {@code key=value} settings for every bridge
 */
record ChildOptions(List<String> jvmOptions, List<String> bridgeSets) {

    ChildOptions {
        jvmOptions = List.copyOf(jvmOptions);
        bridgeSets = List.copyOf(bridgeSets);
    }

    /** Starts {@code chat-bridge run} for one workload. */
    ChildJvm startBridge(
            BenchEnvironment env,
            String prefix,
            String apiUrl,
            String requests,
            String responses,
            String deadLetters,
            int maxInFlight,
            int maxPending,
            int opsPort)
            throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "run",
                "--bootstrap-servers",
                env.bootstrapServers(),
                "--registry-url",
                env.registryUrl(),
                "--api-url",
                apiUrl));
        set(args, "application.id", prefix + "-app");
        set(args, "state.dir", env.dir().resolve(prefix + "-state").toString());
        set(args, "chat.topics.requests", requests);
        set(args, "chat.topics.responses", responses);
        set(args, "chat.topics.dead.letters", deadLetters);
        set(args, "chat.processing.guarantee", "exactly_once_v2");
        set(args, "chat.max.in.flight", Integer.toString(maxInFlight));
        set(args, "chat.max.pending", Integer.toString(Math.max(maxPending, maxInFlight)));
        set(args, "chat.metrics.host", "127.0.0.1");
        set(args, "chat.metrics.port", Integer.toString(opsPort));
        for (String s : bridgeSets) {
            args.add("--set");
            args.add(s);
        }
        return env.child(
                        "bridge",
                        jvmOptions,
                        args,
                        Map.of("CHAT_BRIDGE_API_KEY", BenchEnvironment.API_KEY),
                        prefix + "-bridge")
                .opsPort(opsPort);
    }

    /** Starts the blocking baseline with {@code streamThreads} stream threads. */
    ChildJvm startBlocking(
            BenchEnvironment env, String prefix, String apiUrl, String requests, String output, int streamThreads)
            throws IOException {
        List<String> args = List.of(
                env.bootstrapServers(),
                env.registryUrl(),
                apiUrl,
                requests,
                output,
                prefix + "-app",
                env.dir().resolve(prefix + "-state").toString(),
                Integer.toString(streamThreads));
        return env.child(
                "blocking",
                jvmOptions,
                args,
                Map.of(BlockingBridge.API_KEY_VARIABLE, BenchEnvironment.API_KEY),
                prefix + "-blocking");
    }

    /** Waits until the bridge's {@code /health/ready} answers 200. */
    void awaitReady(ChildJvm child, Duration timeout, BooleanSupplier stop) {
        String url = child.opsUrl("/health/ready");
        Waits.until(() -> Http.status(url) == 200, timeout, child, stop, "the bridge to be ready (" + url + ")");
    }

    private static void set(List<String> args, String key, String value) {
        args.add("--set");
        args.add(key + "=" + value);
    }
}
