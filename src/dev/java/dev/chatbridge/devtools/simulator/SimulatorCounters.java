package dev.chatbridge.devtools.simulator;

import java.util.Map;

/**
 * The simulator's cheap counters, cumulative since it started (a {@code reset} does not clear them, so deltas between
 * two snapshots are always meaningful). {@code GET /_sim/counters} serves the same shape as JSON (member names =
 * component names); unlike {@code /_sim/stats} it costs O(statuses), whatever the number of threads seen.
 *
 * <p>{@code busyNanos} is the integral over time of the number of calls in progress: each call contributes its duration
 * once finished, and a call still in progress contributes the time since it started. So the mean number of calls in
 * flight between two snapshots {@code a} and {@code b} is exactly {@code (b.busyNanos - a.busyNanos) / (b.nanoTime -
 * a.nanoTime)}, however rarely they are taken ({@link #meanInFlightSince}).
 *
 * @param totalCalls calls of {@code POST /chats/v2} started, failed ones included
 * @param finishedCalls calls finished (answered, failed or cut)
 * @param currentConcurrent calls in progress at {@code nanoTime}
 * @param peakConcurrent most calls in progress at once (lowered to the current count by a reset)
 * @param callsByStatus finished calls by HTTP status or fault kind, as in {@link SimulatorStats}
 * @param busyNanos integral of calls in progress over time, in call-nanoseconds
 * @param nanoTime the simulator JVM's {@link System#nanoTime()} when the snapshot was taken
 * @param quotaRefusals calls answered 429 by the simulator's quotas, by cause: {@code concurrency} (the
 *     {@code maxConcurrent} limit), {@code rate} ({@code maxRequestsPerSecond}) and {@code burst} (the Retry-After
 *     burst switch); every cause is present, zero when it never refused. These calls are also in
 *     {@code callsByStatus["429"]}, beside the 429s of fault markers and rates.
 */
public record SimulatorCounters(
        long totalCalls,
        long finishedCalls,
        int currentConcurrent,
        int peakConcurrent,
        Map<String, Long> callsByStatus,
        long busyNanos,
        long nanoTime,
        Map<String, Long> quotaRefusals) {

    public SimulatorCounters {
        callsByStatus = Map.copyOf(callsByStatus);
        quotaRefusals = Map.copyOf(quotaRefusals);
    }

    /** Calls refused by the quotas for {@code cause} ({@code concurrency}, {@code rate} or {@code burst}). */
    public long quotaRefusals(String cause) {
        return quotaRefusals.getOrDefault(cause, 0L);
    }

    /** Mean calls in progress between {@code earlier} and this snapshot (0 when no time passed). */
    public double meanInFlightSince(SimulatorCounters earlier) {
        long dt = nanoTime - earlier.nanoTime;
        return dt <= 0 ? 0.0 : (double) (busyNanos - earlier.busyNanos) / dt;
    }

    /**
     * Busy time per finished call between {@code earlier} and this snapshot, in nanoseconds: the mean call duration by
     * Little's law (exact when as many calls are in progress at both ends).
     */
    public double meanCallNanosSince(SimulatorCounters earlier) {
        long calls = finishedCalls - earlier.finishedCalls;
        return calls <= 0 ? 0.0 : (double) (busyNanos - earlier.busyNanos) / calls;
    }
}
