package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.ApiSimulator;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The idle minute: a bridge answers a few requests, settles, then has nothing to do for the idle window. Reported: its
 * CPU over the window, and commits and transactions per second from its own Prometheus metrics (Kafka Streams'
 * {@code commit-total} per stream thread, and the producer's cumulative transaction-commit time, which only grows when
 * a transaction commits).
 */
final class IdleRun extends ChildRun {

    /** Kafka Streams' commits of a stream thread (Micrometer's Kafka client binder name). */
    static final List<String> COMMITS = List.of("kafka_stream_thread_commit_total");
    /** The producer's total time in {@code commitTransaction}, in ns. */
    static final List<String> TXN_COMMIT_NS = List.of("kafka_producer_txn_commit_time_ns_total");

    IdleRun(Setup setup) {
        super(setup);
    }

    @Override
    BenchResult run() throws IOException {
        RequestLoad load = new RequestLoad(prefix, 10, 2);
        createTopics();
        try (ApiSimulator sim = env.simulator(workload, 0)) {
            ChildJvm child = startBridge(sim.baseUrl(), 1_000);
            try (OutcomeClock clock = new OutcomeClock(
                    env.bootstrapServers(), List.of(responses, deadLetters), deadLetters, plan.partitions(), load)) {
                childOptions.awaitReady(child, Duration.ofSeconds(120), stop);
                load.produce(env.bootstrapServers(), env.registryClient(), requests, Duration.ofSeconds(60));
                Waits.until(
                        () -> clock.outcomes() >= load.size(),
                        Duration.ofSeconds(60),
                        child,
                        stop,
                        "the outcomes of the warm-up requests");
                Waits.sleep(Duration.ofSeconds(5), child, stop);
                log.printf(
                        "  idle: %d requests answered; idle for %d s%n",
                        load.size(), plan.idle().toSeconds());
                log.flush();
                String m0 = Http.body(child.opsUrl("/metrics"));
                Duration cpu0 = child.cpu();
                long t0 = System.nanoTime();
                long calls0 = sim.counters().totalCalls();
                Waits.sleep(plan.idle(), child, stop);
                String m1 = Http.body(child.opsUrl("/metrics"));
                Duration cpu1 = child.cpu();
                double seconds = (System.nanoTime() - t0) / 1e9;
                long calls = sim.counters().totalCalls() - calls0;
                double cpu = cpu1.minus(cpu0).toNanos() / 1e9;
                BenchResult r = new BenchResult(workload.name());
                r.put("window_s", seconds, 1);
                r.put("cpu_s", cpu, 2);
                r.put("cpu_pct", cpu / seconds * 100, 2);
                r.put("commits_s", delta(m0, m1, COMMITS) / seconds, 2);
                r.put("txn_commit_ms_s", delta(m0, m1, TXN_COMMIT_NS) / 1e6 / seconds, 3);
                r.put("api_calls", calls, 0);
                return r;
            } finally {
                env.release(child);
            }
        }
    }

    private static double delta(String before, String after, List<String> names) {
        for (String name : names) {
            OptionalDouble a = Http.sum(before, name);
            OptionalDouble b = Http.sum(after, name);
            if (a.isPresent() && b.isPresent()) {
                return b.getAsDouble() - a.getAsDouble();
            }
        }
        return Double.NaN;
    }
}
