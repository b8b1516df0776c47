package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.ApiSimulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.BooleanSupplier;

/**
 * Heap per pending request, measured: a bridge with a small in-flight limit against an API that answers only after
 * minutes, so that N tiny requests (one per thread) are accepted and wait. The live heap after a full GC ({@code jcmd
 * GC.class_histogram}) is read before they are produced and once the bridge reports N pending; the difference over N is
 * the heap each pending request costs, of which the request's own serialized bytes are reported apart.
 */
final class HeapRun {

    /** The bridge's pending gauge, under the names Micrometer's Prometheus registry may give it. */
    static final List<String> PENDING = List.of("chat_bridge_pending_requests", "chat_bridge_pending");

    private final BenchEnvironment env;
    private final BenchPlan plan;
    private final Workload workload;
    private final String prefix;
    private final ChildOptions childOptions;
    private final PrintWriter log;
    private final BooleanSupplier stop;

    HeapRun(
            BenchEnvironment env,
            BenchPlan plan,
            Workload workload,
            String prefix,
            ChildOptions childOptions,
            PrintWriter log,
            BooleanSupplier stop) {
        this.env = env;
        this.plan = plan;
        this.workload = workload;
        this.prefix = prefix;
        this.childOptions = childOptions;
        this.log = log;
        this.stop = stop;
    }

    BenchResult run() throws IOException {
        int n = plan.heapRequests();
        RequestLoad load = new RequestLoad(prefix, n, 1);
        String requests = prefix + "-requests";
        String responses = prefix + "-responses";
        String deadLetters = prefix + "-dead-letters";
        env.createTopics(plan.partitions(), requests, responses, deadLetters);
        try (ApiSimulator sim = env.simulator(workload, 0)) {
            ChildJvm child = childOptions.startBridge(
                    env,
                    prefix,
                    sim.baseUrl(),
                    requests,
                    responses,
                    deadLetters,
                    workload.limit(),
                    n + 1_000,
                    BenchEnvironment.freePort());
            try {
                childOptions.awaitReady(child, Duration.ofSeconds(120), stop);
                Waits.sleep(Duration.ofSeconds(3), child, stop);
                long heap0 = child.liveHeapBytes(Duration.ofSeconds(60));
                long rss0 = child.rssBytes();
                log.printf(
                        "  heap: %d pending requests, L=%d, live heap before %.1f MiB%n",
                        n, workload.limit(), heap0 / 1048576.0);
                log.flush();
                load.produce(env.bootstrapServers(), env.registryClient(), requests, Duration.ofSeconds(120));
                Waits.until(
                        () -> pending(child) >= n,
                        Duration.ofSeconds(180),
                        child,
                        stop,
                        n + " requests pending in the bridge");
                Waits.sleep(Duration.ofSeconds(2), child, stop);
                long heap1 = child.liveHeapBytes(Duration.ofSeconds(60));
                long rss1 = child.rssBytes();
                double perPending = (double) (heap1 - heap0) / n;
                BenchResult r = new BenchResult(workload.name());
                r.put("L", workload.limit(), 0);
                r.put("pending", n, 0);
                r.put("heap_before_mib", heap0 / 1048576.0, 1);
                r.put("heap_after_mib", heap1 / 1048576.0, 1);
                r.put("bytes_per_pending", perPending, 0);
                r.put("payload_bytes", load.meanPayloadBytes(), 0);
                r.put("net_bytes_per_pending", perPending - load.meanPayloadBytes(), 0);
                r.put("rss_bytes_per_pending", rss0 < 0 || rss1 < 0 ? Double.NaN : (double) (rss1 - rss0) / n, 0);
                r.put("api_in_flight", sim.counters().currentConcurrent(), 0);
                return r;
            } finally {
                env.release(child);
            }
        }
    }

    private static double pending(ChildJvm child) {
        String metrics = Http.body(child.opsUrl("/metrics"));
        for (String name : PENDING) {
            OptionalDouble v = Http.sum(metrics, name);
            if (v.isPresent()) {
                return v.getAsDouble();
            }
        }
        throw new BenchException("the bridge's /metrics has no pending gauge (" + PENDING + ")");
    }
}
