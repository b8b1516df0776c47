package dev.chatbridge.engine;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.WindowedLimit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A limit of Netflix concurrency-limits-core, in its {@link WindowedLimit} (library defaults: windows of 1 s and at
 * least 10 samples; the delegate sees one sample per window: its mean rtt, max in flight and whether any call dropped).
 *
 * <ul>
 *   <li>{@link #aimd AIMD}: +1 per window with the limit at least half used, x0.9 per window with a drop. Its own rtt
 *       timeout is set to a day so it never fires: timeouts already arrive here as drops.
 *   <li>{@link #gradient2 Gradient2}: latency-based (the ratio of long-term to recent rtt); it <b>ignores drops</b>
 *       entirely, so 429s and timeouts lower it only through the latency they bring.
 * </ul>
 *
 * <p>Both start at {@code min(ceiling, 20)} and stay within [1, ceiling]. The library ignores samples shorter than 100
 * µs (its {@code minRttThreshold}).
 *
 * <p><b>Time origin.</b> {@link WindowedLimit} starts with its next window end at time 0 and closes a window only when
 * a sample ends after it, so with a clock below zero ({@link System#nanoTime} may be negative) it would never close a
 * window. Times are therefore passed relative to the first sample's end (which becomes 1 ns): the same differences,
 * always positive.
 */
final class NetflixLimit implements AdaptiveLimit {

    /** The libraries' default initial limit, capped by the ceiling: a safe start for an API of unknown capacity. */
    static final int INITIAL_LIMIT = 20;
    /** Multiplicative decrease of AIMD on a window with a drop (the library's default). */
    static final double AIMD_BACKOFF = 0.9;
    /** AIMD's own rtt timeout, set out of reach: the engine reports timeouts as drops already. */
    static final long AIMD_TIMEOUT_DAYS = 1;

    /** No origin yet (no sample seen). */
    private static final long UNSET = Long.MIN_VALUE;

    private final String name;
    private final Limit limit;
    private final int ceiling;
    private final AtomicLong originNanos = new AtomicLong(UNSET);

    private NetflixLimit(String name, Limit delegate, int ceiling) {
        this.name = name;
        this.limit = WindowedLimit.newBuilder().build(delegate);
        this.ceiling = ceiling;
    }

    /** AIMD below {@code ceiling} (>= 1). */
    static NetflixLimit aimd(int ceiling) {
        requireCeiling(ceiling);
        return new NetflixLimit(
                "AIMD",
                AIMDLimit.newBuilder()
                        .initialLimit(Math.min(ceiling, INITIAL_LIMIT))
                        .minLimit(1)
                        .maxLimit(ceiling)
                        .backoffRatio(AIMD_BACKOFF)
                        .timeout(AIMD_TIMEOUT_DAYS, TimeUnit.DAYS)
                        .build(),
                ceiling);
    }

    /** Gradient2 below {@code ceiling} (>= 1); it ignores drops. */
    static NetflixLimit gradient2(int ceiling) {
        requireCeiling(ceiling);
        return new NetflixLimit(
                "Gradient2",
                Gradient2Limit.newBuilder()
                        .initialLimit(Math.min(ceiling, INITIAL_LIMIT))
                        .minLimit(1)
                        .maxConcurrency(ceiling)
                        .build(),
                ceiling);
    }

    private static void requireCeiling(int ceiling) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("ceiling must be at least 1, was " + ceiling);
        }
    }

    @Override
    public int limit() {
        return Math.max(1, Math.min(ceiling, limit.getLimit()));
    }

    @Override
    public void onSample(long endNanos, long rttNanos, int inFlight, boolean dropped) {
        long origin = originNanos.get();
        if (origin == UNSET) {
            // the first sample's end becomes time 1; a concurrent first sample may win instead, which is as good
            originNanos.compareAndSet(UNSET, endNanos - 1);
            origin = originNanos.get();
        }
        long end = endNanos - origin;
        limit.onSample(end - rttNanos, rttNanos, inFlight, dropped);
    }

    @Override
    public String toString() {
        return "NetflixLimit[" + name + ", limit=" + limit() + ", ceiling=" + ceiling + "]";
    }
}
