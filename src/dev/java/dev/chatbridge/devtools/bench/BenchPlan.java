package dev.chatbridge.devtools.bench;

import java.time.Duration;

/**
 * How long each phase lasts and how big each load is: full runs (90 s of warm-up, 30 s for the raw client, then a
 * steady window of at least 20 s per workload) or {@code --quick} smoke runs (seconds).
 *
 * @param warmup from the first API call to the start of the window, for JVMs running Kafka Streams (the bridge, the
 *     blocking floor): on two shared cores their JIT takes about 90 s to settle ({@link Ramp})
 * @param rawWarmup the same for the raw client baselines (no Kafka: little to compile)
 * @param measure the steady window (it ends early when the load runs out)
 * @param llmFactor the window is this many times longer for the LLM-like workload
 * @param idle the idle window
 * @param heapRequests pending requests of the heap measurement
 * @param maxRequests cap on the requests of one workload
 * @param partitions partitions of the request and outcome topics
 */
record BenchPlan(
        Duration warmup,
        Duration rawWarmup,
        Duration measure,
        double llmFactor,
        Duration idle,
        int heapRequests,
        int maxRequests,
        int partitions) {

    /** Conversation threads per unit of L: each has one request outstanding at a time. */
    static final int THREADS_PER_SLOT = 8;
    /** The rate assumed when the latency does not bound it (sizing only: a window ends early if it runs out). */
    static final double RATE_GUESS_CAP = 6_000;
    /** Turns per thread at most. */
    static final int MAX_TURNS = 200;

    static BenchPlan full(int partitions) {
        return new BenchPlan(
                Duration.ofSeconds(90),
                Duration.ofSeconds(30),
                Duration.ofSeconds(20),
                1.5,
                Duration.ofSeconds(60),
                20_000,
                1_000_000,
                partitions);
    }

    static BenchPlan quick(int partitions) {
        return new BenchPlan(
                Duration.ofSeconds(3),
                Duration.ofSeconds(3),
                Duration.ofSeconds(4),
                1.5,
                Duration.ofSeconds(5),
                2_000,
                20_000,
                partitions);
    }

    /** The same warm-up for every workload. */
    BenchPlan withWarmup(Duration newWarmup) {
        return new BenchPlan(newWarmup, newWarmup, measure, llmFactor, idle, heapRequests, maxRequests, partitions);
    }

    BenchPlan withMeasure(Duration newMeasure) {
        return new BenchPlan(warmup, rawWarmup, newMeasure, llmFactor, idle, heapRequests, maxRequests, partitions);
    }

    Duration warmup(Workload w) {
        return w.kind() == Workload.Kind.NETTY ? rawWarmup : warmup;
    }

    Duration measure(Workload w) {
        return w.name().endsWith("llm") ? scale(measure, llmFactor) : measure;
    }

    /**
     * Conversation threads of a workload: {@link #THREADS_PER_SLOT} per unit of L (at least 50), so that L calls can be
     * in flight while other threads wait for their previous outcome.
     */
    int threads(Workload w) {
        return Math.max(50, THREADS_PER_SLOT * w.limit());
    }

    /**
     * Turns per thread: enough requests for warm-up and window at the rate the latency allows (capped by
     * {@link #RATE_GUESS_CAP} and {@code maxRequests}), at least 2.
     */
    int turns(Workload w) {
        double seconds = (warmup(w).toMillis() + measure(w).toMillis()) / 1000.0;
        double call = w.nominalCallSeconds();
        double rate = w.kind() == Workload.Kind.BLOCKING
                ? w.limit() / Math.max(call, 0.001)
                : Math.min(call <= 0 ? RATE_GUESS_CAP : w.limit() / call, RATE_GUESS_CAP);
        long requests = Math.min(maxRequests, Math.max(200, (long) Math.ceil(rate * seconds * 1.5)));
        return (int) Math.max(2, Math.min(MAX_TURNS, (requests + threads(w) - 1) / threads(w)));
    }

    private static Duration scale(Duration d, double f) {
        return Duration.ofMillis((long) (d.toMillis() * f));
    }
}
