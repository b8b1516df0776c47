package dev.chatbridge.devtools.simulator;

import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of what an {@link ApiSimulator} has seen since start or the last reset. {@code GET /_sim/stats}
 * serves the same shape as JSON (member names = component names).
 *
 * @param totalCalls calls of {@code POST /chats/v2}, failed ones included
 * @param currentConcurrent calls in progress now
 * @param peakConcurrent most calls in progress at once
 * @param callsByStatus finished calls by HTTP status ("200", "429", ...) or, for calls that got no status, by fault
 *     kind ("reset", "hang")
 * @param threads per thread key (the {@code threadId}, or {@code "request:" + id} for calls without a thread, id =
 *     {@code X-Request-Id} or the simulator's id)
 * @param probes key probes among the calls: a body whose {@code messages} is an empty array, without an
 *     {@code unleash-account} header, sent with an accepted key (answered 400, and counted in {@code callsByStatus} as
 *     such too). A probe with a rejected key gets 401 before its body is read, so it is not recognised: count those
 *     with {@code callsByStatus["401"]}.
 */
public record SimulatorStats(
        long totalCalls,
        int currentConcurrent,
        int peakConcurrent,
        Map<String, Long> callsByStatus,
        Map<String, ThreadStats> threads,
        long probes) {

    public SimulatorStats {
        callsByStatus = Map.copyOf(callsByStatus);
        threads = Map.copyOf(threads);
    }

    /**
     * What one conversation thread saw.
     *
     * @param turns full answers given (the turn number of the last answer)
     * @param calls valid calls received
     * @param currentConcurrent calls of this thread in progress now
     * @param peakConcurrent most calls of this thread in progress at once
     * @param order calls in arrival order (the most recent ones, bounded)
     */
    public record ThreadStats(
            long turns, long calls, int currentConcurrent, int peakConcurrent, List<ReceivedCall> order) {
        public ThreadStats {
            order = List.copyOf(order);
        }
    }
}
