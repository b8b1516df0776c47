package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.ApiSimulator;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Heap per pending request, measured: a bridge with a small in-flight limit against an API that answers only after
 * minutes, so that N tiny requests (one per thread) are accepted and wait. The live heap after a full GC ({@code jcmd
 * GC.class_histogram}) is read before they are produced and once the bridge reports N pending; the difference over N is
 * the heap each pending request costs, of which the request's own serialized bytes are reported apart.
 */
final class HeapRun extends ChildRun {

    /** The bridge's pending gauge, under the names Micrometer's Prometheus registry may give it. */
    static final List<String> PENDING = List.of("chat_bridge_pending_requests", "chat_bridge_pending");

    HeapRun(Setup setup) {
        super(setup);
    }

    @Override
    BenchResult run() throws IOException {
        int n = plan.heapRequests();
        RequestLoad load = new RequestLoad(prefix, n, 1);
        createTopics();
        try (ApiSimulator sim = env.simulator(workload, 0)) {
            ChildJvm child = startBridge(sim.baseUrl(), n + 1_000);
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
