package dev.chatbridge.devtools.cli;

import dev.chatbridge.cli.CliContext;
import dev.chatbridge.cli.Lifecycle;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chat-bridge simulate}: the /chats/v2 API simulator alone. */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the /chats/v2 API simulator on 127.0.0.1 until Ctrl-C.",
            "Fault markers in the last message's text choose the answer: #fault:400, #fault:429, #fault:500x2,",
            "#fault:403-account, #fault:401-account, #fault:404-assistant, #fault:404-thread, #fault:huge,",
            "#fault:huge-sse, #fault:huge-text, #fault:200-empty, #fault:200-error, #fault:200-problem,",
            "#fault:200-sse-empty, #fault:200-sse-badutf8, #fault:302, #tools, ...;",
            "see the simulator's package documentation. POST /_sim/auth?reject=true revokes the key;",
            "POST /_sim/burst?calls=N&retryAfter=S answers the next N calls 429 with Retry-After: S;",
            "GET /_sim/counters counts calls, 429s by quota and concurrency."
        })
final class SimulateCommand implements Callable<Integer> {

    private final CliContext context;

    @Option(names = "--port", defaultValue = "8090", description = "Port (0 = free; default ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 in a container, so that other"
                    + " containers reach it).")
    String host;

    @Option(
            names = "--latency-p50",
            paramLabel = "MS",
            defaultValue = "150",
            description = "Median time to the first byte, ms (default ${DEFAULT-VALUE}).")
    long p50;

    @Option(
            names = "--latency-p99",
            paramLabel = "MS",
            defaultValue = "900",
            description = "99th percentile time to the first byte, ms (default ${DEFAULT-VALUE}).")
    long p99;

    @Option(
            names = "--api-key",
            defaultValue = LocalStack.SIMULATOR_KEY,
            description = "The API key the simulator accepts (default ${DEFAULT-VALUE}).")
    String apiKey;

    @Option(
            names = "--api-key-file",
            paramLabel = "FILE",
            description = "Read the accepted API key from this file instead (surrounding white space ignored), such as"
                    + " a mounted secret.")
    Path apiKeyFile;

    @Option(
            names = "--refuse-account",
            paramLabel = "ACCOUNT|@DOMAIN",
            description = "Refuse every call on behalf of this account (alice@example.com) or of every account of"
                    + " this domain (@example.com), compared with the unleash-account header ignoring case: 403"
                    + " problem details naming the account, on every attempt. Repeatable.")
    List<String> refusedAccounts = new ArrayList<>();

    @Option(
            names = "--huge-answer-bytes",
            paramLabel = "BYTES",
            defaultValue = "17300000",
            description = "Size of the answers of #fault:huge, #fault:huge-sse and #fault:huge-text"
                    + " (default ${DEFAULT-VALUE}, 16.5 MiB).")
    int hugeAnswerBytes;

    @Option(
            names = "--chunks",
            paramLabel = "N",
            defaultValue = "5",
            description = "Text chunks (SSE events) per streamed answer, 1 to 1000 (default ${DEFAULT-VALUE}).")
    int chunks;

    @Option(
            names = "--chunk-interval-ms",
            paramLabel = "MS",
            defaultValue = "20",
            description = "Pause between two SSE events of an answer, ms (default ${DEFAULT-VALUE}).")
    long chunkIntervalMs;

    @Option(
            names = "--max-concurrent",
            paramLabel = "N",
            defaultValue = "0",
            description = "Calls in progress at once over all callers, 0 to 1000000: a call beyond gets 429 with"
                    + " Retry-After at once (default ${DEFAULT-VALUE}: no limit).")
    int maxConcurrent;

    @Option(
            names = "--max-rps",
            paramLabel = "R",
            defaultValue = "0",
            description = "Calls admitted per second over all callers (a token bucket of R tokens refilled at R per"
                    + " second), 0 to 1000000: a call beyond gets 429 with Retry-After at once"
                    + " (default ${DEFAULT-VALUE}: no limit).")
    int maxRps;

    @Option(
            names = "--retry-after-s",
            paramLabel = "S",
            defaultValue = "1",
            description = "Retry-After seconds of the 429s of --max-concurrent and --max-rps, 0 to 86400"
                    + " (default ${DEFAULT-VALUE}).")
    int retryAfterSeconds;

    @Option(
            names = "--queueing-capacity",
            paramLabel = "N",
            defaultValue = "0",
            description = "Calls served at once without slowing down, 0 to 1000000: beyond N calls in progress the time"
                    + " to first byte is multiplied by min(10, 1 + (in progress - N) / N)"
                    + " (default ${DEFAULT-VALUE}: latency independent of load).")
    int queueingCapacity;

    SimulateCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        if (p50 <= 0 || p99 < p50) {
            context.err().println("error: --latency-p50 must be positive and --latency-p99 at least --latency-p50");
            return 2;
        }
        String invalid = invalidQuota();
        if (invalid != null) {
            context.err().println("error: " + invalid);
            return 2;
        }
        String key = apiKey;
        if (apiKeyFile != null) {
            try {
                key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                context.err().println("error: cannot read --api-key-file " + apiKeyFile + ": " + e.getMessage());
                return 2;
            }
            if (key.isEmpty()) {
                context.err().println("error: --api-key-file " + apiKeyFile + " is empty");
                return 2;
            }
        }
        SimulatorConfig config;
        try {
            config = SimulatorConfig.builder()
                    .host(host)
                    .port(port)
                    .apiKeys(key)
                    .latency(LatencyModel.logNormal(Duration.ofMillis(p50), Duration.ofMillis(p99)))
                    .seed(System.nanoTime())
                    .refusedAccounts(refusedAccounts)
                    .hugeAnswerBytes(hugeAnswerBytes)
                    .chunks(chunks)
                    .chunkInterval(Duration.ofMillis(chunkIntervalMs))
                    .maxConcurrent(maxConcurrent)
                    .maxRequestsPerSecond(maxRps)
                    .retryAfterSeconds(retryAfterSeconds)
                    .queueingCapacity(queueingCapacity)
                    .build();
        } catch (IllegalArgumentException e) {
            context.err()
                    .println("error: " + e.getMessage() + " (check --host, --refuse-account,"
                            + " --huge-answer-bytes, --chunks and --chunk-interval-ms)");
            return 2;
        }
        Lifecycle lifecycle = new Lifecycle(context, Duration.ofSeconds(10));
        try (ApiSimulator simulator = new ApiSimulator(config).start()) {
            context.out().println("API simulator listening at " + simulator.baseUrl() + "/chats/v2; Ctrl-C stops it");
            if (maxConcurrent > 0 || maxRps > 0 || queueingCapacity > 0) {
                context.out()
                        .println("Quotas: max concurrent " + off(maxConcurrent) + ", max requests/s " + off(maxRps)
                                + ", Retry-After " + retryAfterSeconds + " s, queueing capacity "
                                + off(queueingCapacity));
            }
            if (!refusedAccounts.isEmpty()) {
                context.out().println("Refusing accounts: " + String.join(", ", refusedAccounts));
            }
            context.out().flush();
            lifecycle.awaitStopOrFailure(() -> null);
        }
        return lifecycle.finished(0);
    }

    /** The first quota flag out of range, as one line naming it, or null. */
    private String invalidQuota() {
        if (maxConcurrent < 0 || maxConcurrent > 1_000_000) {
            return "--max-concurrent must be 0 (no limit) to 1000000, was " + maxConcurrent;
        }
        if (maxRps < 0 || maxRps > 1_000_000) {
            return "--max-rps must be 0 (no limit) to 1000000, was " + maxRps;
        }
        if (retryAfterSeconds < 0 || retryAfterSeconds > 86_400) {
            return "--retry-after-s must be 0 to 86400 seconds, was " + retryAfterSeconds;
        }
        if (queueingCapacity < 0 || queueingCapacity > 1_000_000) {
            return "--queueing-capacity must be 0 (off) to 1000000, was " + queueingCapacity;
        }
        return null;
    }

    private static String off(int value) {
        return value == 0 ? "off" : Integer.toString(value);
    }
}
