package dev.chatbridge.devtools.simulator;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The counters behind {@link SimulatorCounters}: calls started and finished, concurrency, its peak, and the integral of
 * concurrency over time, kept exact with three numbers: {@code finishedBusy} (sum of durations of finished calls),
 * {@code current} and {@code inProgressStarts} (sum of start times of calls in progress), so that at time {@code t} the
 * integral is {@code finishedBusy + current * t - inProgressStarts}. No per-call state is kept.
 *
 * <p>Threading: called from Netty and timer threads. Start, finish and snapshot hold this object's own monitor for a
 * few arithmetic operations (never the {@link StatsRecorder}'s), so reading the counters does not contend with the
 * recorder's per-thread bookkeeping; statuses are counted in a concurrent map outside the monitor.
 */
final class ConcurrencyCounters {

    private final LongSupplier clock;
    private final Map<String, LongAdder> byStatus = new ConcurrentHashMap<>();
    private final Map<Quotas.Cause, LongAdder> refusals = new EnumMap<>(Quotas.Cause.class);
    private long totalCalls;
    private long finishedCalls;
    private int current;
    private int peak;
    private long finishedBusy;
    private long inProgressStarts;

    ConcurrencyCounters(LongSupplier clock) {
        this.clock = clock;
        for (Quotas.Cause cause : Quotas.Cause.values()) {
            refusals.put(cause, new LongAdder());
        }
    }

    ConcurrencyCounters() {
        this(System::nanoTime);
    }

    /** A call started; returns its start time, to pass to {@link #finished}. */
    synchronized long started() {
        long now = clock.getAsLong();
        totalCalls++;
        current++;
        peak = Math.max(peak, current);
        inProgressStarts += now;
        return now;
    }

    /** The call that started at {@code start} finished with {@code outcome}; returns the end time. */
    long finished(long start, String outcome) {
        long now;
        synchronized (this) {
            now = clock.getAsLong();
            finishedCalls++;
            current--;
            inProgressStarts -= start;
            finishedBusy += now - start;
        }
        byStatus.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        return now;
    }

    /** A call was turned away by a quota for {@code cause} (it is still started and finished as any call). */
    void refused(Quotas.Cause cause) {
        refusals.get(cause).increment();
    }

    /** Lowers the peak to the calls in progress (what a simulator reset does). */
    synchronized void resetPeak() {
        peak = current;
    }

    SimulatorCounters snapshot() {
        Map<String, Long> statuses = new HashMap<>();
        byStatus.forEach((k, v) -> statuses.put(k, v.sum()));
        Map<String, Long> refused = new HashMap<>();
        refusals.forEach((k, v) -> refused.put(k.key, v.sum()));
        synchronized (this) {
            long now = clock.getAsLong();
            long busy = finishedBusy + current * now - inProgressStarts;
            return new SimulatorCounters(totalCalls, finishedCalls, current, peak, statuses, busy, now, refused);
        }
    }
}
