package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.LatencyModel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One fixed workload of the benchmark: what runs (the bridge, a baseline, an idle or a heap measurement), its in-flight
 * limit L and the simulated API's latency and answer shape.
 *
 * @param name the name printed and selected with {@code --workloads}
 * @param kind what runs
 * @param limit L: the in-flight limit (for the blocking baseline, the stream threads)
 * @param latency the API's time to first byte
 * @param chunks SSE events per answer
 * @param chunkInterval pause between two events
 * @param description one line for {@code --help} and the docs
 */
record Workload(
        String name,
        Kind kind,
        int limit,
        LatencyModel latency,
        int chunks,
        Duration chunkInterval,
        String description) {

    /** What a workload runs. */
    enum Kind {
        /** chat-bridge {@code run} in a child JVM, fed with conversations. */
        BRIDGE,
        /** Reactor Netty's HTTP client alone, L connections, against the same simulator: the ceiling. */
        NETTY,
        /** A Kafka Streams app calling the API synchronously in {@code process()}, in a child JVM: the floor. */
        BLOCKING,
        /** chat-bridge with nothing to do: commits, transactions and CPU. */
        IDLE,
        /** chat-bridge with many requests pending and a very slow API: heap per pending request. */
        HEAP
    }

    private static final LatencyModel MS_200 = LatencyModel.fixed(Duration.ofMillis(200));
    private static final LatencyModel LLM = LatencyModel.logNormal(Duration.ofSeconds(2), Duration.ofSeconds(15));
    private static final LatencyModel ZERO = LatencyModel.fixed(Duration.ZERO);
    private static final LatencyModel FOREVER = LatencyModel.fixed(Duration.ofMinutes(5));

    /** Every workload, in the order a full run does them. */
    static List<Workload> all() {
        return List.of(
                bridge("l64", 64, MS_200, 5, Duration.ZERO, "L=64, 200 ms to first byte, 5 SSE events at once"),
                netty("l64"),
                bridge("l256", 256, MS_200, 5, Duration.ZERO, "L=256, 200 ms to first byte"),
                netty("l256"),
                bridge("l1024", 1024, MS_200, 5, Duration.ZERO, "L=1024, 200 ms to first byte"),
                netty("l1024"),
                bridge(
                        "llm",
                        1024,
                        LLM,
                        20,
                        Duration.ofMillis(250),
                        "L=1024, LLM-like: log-normal first byte p50 2 s / p99 15 s, 20 SSE events 250 ms apart"),
                netty("llm"),
                bridge("max", 256, ZERO, 1, Duration.ZERO, "L=256, answers at once (one SSE event): the most calls/s"),
                netty("max"),
                new Workload(
                        "blocking",
                        Kind.BLOCKING,
                        1,
                        MS_200,
                        5,
                        Duration.ZERO,
                        "baseline: Kafka Streams calling the API synchronously in process(), 1 stream thread, 200 ms"),
                new Workload(
                        "idle",
                        Kind.IDLE,
                        64,
                        MS_200,
                        5,
                        Duration.ZERO,
                        "chat-bridge idle after a few requests: transactions/s and CPU"),
                new Workload(
                        "heap",
                        Kind.HEAP,
                        8,
                        FOREVER,
                        1,
                        Duration.ZERO,
                        "heap per pending request: L=8 against an API that answers after 5 min, N tiny requests"));
    }

    /** The workloads by name, in {@link #all()} order. */
    static Map<String, Workload> byName() {
        Map<String, Workload> out = new LinkedHashMap<>();
        all().forEach(w -> out.put(w.name(), w));
        return out;
    }

    private static Workload bridge(
            String name, int limit, LatencyModel latency, int chunks, Duration interval, String description) {
        return new Workload(name, Kind.BRIDGE, limit, latency, chunks, interval, description);
    }

    /** The raw-client baseline of a bridge workload: same L, latency and answers. */
    private static Workload netty(String bridgeName) {
        Workload w = all0(bridgeName);
        return new Workload(
                "netty-" + bridgeName,
                Kind.NETTY,
                w.limit,
                w.latency,
                w.chunks,
                w.chunkInterval,
                "baseline: raw Reactor Netty client, " + w.limit + " connections, as " + bridgeName);
    }

    private static Workload all0(String name) {
        return switch (name) {
            case "l64" -> bridge(name, 64, MS_200, 5, Duration.ZERO, "");
            case "l256" -> bridge(name, 256, MS_200, 5, Duration.ZERO, "");
            case "l1024" -> bridge(name, 1024, MS_200, 5, Duration.ZERO, "");
            case "llm" -> bridge(name, 1024, LLM, 20, Duration.ofMillis(250), "");
            case "max" -> bridge(name, 256, ZERO, 1, Duration.ZERO, "");
            default -> throw new IllegalArgumentException("no bridge workload " + name);
        };
    }

    /** The nominal seconds of one call: mean time to first byte plus the pauses between events. */
    double nominalCallSeconds() {
        double first;
        if (latency instanceof LatencyModel.LogNormal l) {
            double sigma = (Math.log(l.p99().toNanos()) - Math.log(l.p50().toNanos())) / 2.3263;
            first = l.p50().toNanos() / 1e9 * Math.exp(sigma * sigma / 2);
        } else {
            first = ((LatencyModel.Fixed) latency).delay().toNanos() / 1e9;
        }
        return first + (chunks - 1) * chunkInterval.toNanos() / 1e9;
    }
}
