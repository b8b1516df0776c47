package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.CallTiming;
import dev.chatbridge.devtools.simulator.SimulatorCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One throughput workload: chat-bridge (or the blocking baseline) in a child JVM, fed with conversations, measured over
 * a steady window.
 *
 * <p>The load runs as conversations: {@code 8 L} threads, each with one request outstanding; a thread's next turn is
 * produced when the outcome of its previous turn is visible. The window starts {@code warmup} after the first API call
 * and lasts {@code measure}, or ends early when 90 % of the outcomes are in (the load is running out and would no
 * longer fill the limit). At both ends the simulator's counters and the child's CPU time are read; every figure but the
 * latency split comes from those two reads. The latency split uses the calls that ended in the window: head = call
 * start - the moment the request became eligible (acknowledged by Kafka; with conversations that is after the outcome
 * of its previous turn was visible), tail = outcome visible - call end. A call whose outcome is not visible 20 s after
 * the window (one the bridge cut and retried) is left out of the split and counted as {@code unseen}.
 *
 * <p>Threading: runs on the benchmark's thread; the outcome clock and the producer have their own.
 */
final class BridgeRun extends ChildRun {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration FIRST_CALL_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(120);

    BridgeRun(Setup setup) {
        super(setup);
    }

    @Override
    BenchResult run() throws IOException {
        int threads = plan.threads(workload);
        RequestLoad load = new RequestLoad(prefix, threads, plan.turns(workload));
        boolean blocking = workload.kind() == Workload.Kind.BLOCKING;
        createTopics();
        try (ApiSimulator sim = env.simulator(workload, Math.min(2_000_000, load.size() * 2 + 10_000))) {
            ChildJvm child = blocking
                    ? childOptions.startBlocking(env, prefix, sim.baseUrl(), requests, responses, workload.limit())
                    : startBridge(sim.baseUrl(), load.size() + 1_000);
            try (load;
                    OutcomeClock clock = new OutcomeClock(
                            env.bootstrapServers(),
                            blocking ? List.of(responses) : List.of(responses, deadLetters),
                            deadLetters,
                            plan.partitions(),
                            load)) {
                if (!blocking) {
                    childOptions.awaitReady(child, READY_TIMEOUT, stop);
                }
                log.printf(
                        "  %s: %d threads x %d turns = %d requests, L=%d%n",
                        workload.name(), threads, load.turns(), load.size(), workload.limit());
                log.flush();
                load.startConversations(env.bootstrapServers(), env.registryClient(), requests, PRODUCE_TIMEOUT);
                Waits.until(
                        () -> sim.counters().totalCalls() > 0, FIRST_CALL_TIMEOUT, child, stop, "the first API call");
                double ramp = Ramp.watch(sim::counters, workload.limit(), plan.warmup(workload), child, stop);

                SimulatorCounters c0 = sim.counters();
                Duration cpu0 = child.cpu();
                Duration envCpu0 = Cpu.self();
                long endBy = c0.nanoTime() + plan.measure(workload).toNanos();
                long enough = (long) (load.size() * 0.9);
                Waits.until(
                        () -> System.nanoTime() >= endBy || clock.outcomes() >= enough || failed(load),
                        plan.measure(workload).plusSeconds(5),
                        child,
                        stop,
                        "the end of the window");
                SimulatorCounters c1 = sim.counters();
                load.requireNoFailure();
                if (!blocking) {
                    keepMetrics(child);
                }
                Duration cpu1 = child.cpu();
                Duration envCpu1 = Cpu.self();
                boolean ranOut = System.nanoTime() < endBy;

                List<CallTiming> timings = lastPerRequest(sim.drainCallTimings(), load);
                List<CallTiming> inWindow = timings.stream()
                        .filter(t -> t.endNanos() >= c0.nanoTime() && t.endNanos() <= c1.nanoTime())
                        .toList();
                // A call cut by the bridge (first-byte timeout) is retried: its outcome comes with a later
                // call, so it may never show here. Wait a bounded time, then count what is still unseen.
                Waits.upTo(
                        () -> inWindow.stream().allMatch(t -> visible(clock, load, t) != 0),
                        Duration.ofSeconds(20),
                        child,
                        stop,
                        "the outcomes of the calls in the window");
                long unseen = inWindow.stream()
                        .filter(t -> visible(clock, load, t) == 0)
                        .count();
                BenchResult result = figures(c0, c1, cpu0, cpu1, envCpu0, envCpu1, split(inWindow, load, clock));
                result.put("ramp_s", ramp, 1);
                if (unseen > 0) {
                    result.put("unseen", unseen, 0);
                }
                if (clock.deadLetters() > 0) {
                    result.put("dead_letters", clock.deadLetters(), 0);
                }
                if (ranOut) {
                    result.note("window ended early: the load ran out");
                }
                return result;
            } finally {
                env.release(child);
            }
        }
    }

    /** Saves the bridge's /metrics at the end of the window next to its logs, for a closer look (--keep-temp). */
    private void keepMetrics(ChildJvm child) {
        try {
            Files.writeString(env.dir().resolve(prefix + "-metrics.txt"), Http.body(child.opsUrl("/metrics")));
        } catch (IOException | BenchException e) {
            log.println("  (could not save the bridge's metrics: " + e.getMessage() + ")");
        }
    }

    private static boolean failed(RequestLoad load) {
        load.requireNoFailure();
        return false;
    }

    private BenchResult figures(
            SimulatorCounters c0,
            SimulatorCounters c1,
            Duration cpu0,
            Duration cpu1,
            Duration envCpu0,
            Duration envCpu1,
            long[][] split) {
        long calls = c1.finishedCalls() - c0.finishedCalls();
        double seconds = (c1.nanoTime() - c0.nanoTime()) / 1e9;
        BenchResult r = new BenchResult(workload.name());
        r.put("L", workload.limit(), 0);
        r.put("calls_s", Stats.callsPerSecond(c0, c1), 1);
        r.put("eff", Stats.efficiency(c0, c1, workload.limit()), 3);
        r.put("little_s", Stats.littleBound(c0, c1, workload.limit()), 1);
        r.put("call_ms", c1.meanCallNanosSince(c0) / 1e6, 1);
        r.put("head_p50_ms", Stats.percentile(split[0], 50) / 1e6, 1);
        r.put("head_p99_ms", Stats.percentile(split[0], 99) / 1e6, 1);
        r.put("tail_p50_ms", Stats.percentile(split[1], 50) / 1e6, 1);
        r.put("tail_p99_ms", Stats.percentile(split[1], 99) / 1e6, 1);
        r.put("added_p50_ms", Stats.percentile(split[2], 50) / 1e6, 1);
        r.put("added_p99_ms", Stats.percentile(split[2], 99) / 1e6, 1);
        r.put("cpu_s_10k", calls == 0 ? Double.NaN : (cpu1.minus(cpu0).toNanos() / 1e9) / calls * 10_000, 2);
        r.put("env_cpu_s_10k", calls == 0 ? Double.NaN : (envCpu1.minus(envCpu0).toNanos() / 1e9) / calls * 10_000, 2);
        r.put("calls", calls, 0);
        r.put("window_s", seconds, 1);
        return r;
    }

    /** head, tail and head + tail in nanoseconds of each call whose outcome was seen. */
    private static long[][] split(List<CallTiming> calls, RequestLoad load, OutcomeClock clock) {
        List<long[]> rows = new ArrayList<>();
        for (CallTiming t : calls) {
            int[] idx = load.requestIndex(t.correlationId());
            long seen = clock.visibleAt(idx[0], idx[1]);
            long produced = load.producedAt(idx[0], idx[1]);
            long previous = idx[1] == 0 ? 0 : clock.visibleAt(idx[0], idx[1] - 1);
            if (seen == 0 || produced == 0 || (idx[1] > 0 && previous == 0)) {
                continue;
            }
            long eligible = Math.max(produced, previous);
            long head = t.startNanos() - eligible;
            long tail = seen - t.endNanos();
            rows.add(new long[] {head, tail, head + tail});
        }
        long[][] out = new long[3][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            for (int k = 0; k < 3; k++) {
                out[k][i] = rows.get(i)[k];
            }
        }
        return out;
    }

    private static long visible(OutcomeClock clock, RequestLoad load, CallTiming t) {
        int[] idx = load.requestIndex(t.correlationId());
        return clock.visibleAt(idx[0], idx[1]);
    }

    /** The last call of each request of the load (a retried request has several); others are dropped. */
    static List<CallTiming> lastPerRequest(List<CallTiming> timings, RequestLoad load) {
        Map<String, CallTiming> last = new HashMap<>();
        for (CallTiming t : timings) {
            if (load.requestIndex(t.correlationId()) == null) {
                continue;
            }
            last.merge(t.correlationId(), t, (a, b) -> b.startNanos() >= a.startNanos() ? b : a);
        }
        return new ArrayList<>(last.values());
    }
}
