package dev.chatbridge.engine;

import java.util.concurrent.TimeUnit;

/**
 * Our own limit algorithm (the default): finds the API's capacity fast, then sits just below it and probes above it
 * rarely.
 *
 * <p><b>Why not AIMD.</b> An API's 429 usually carries {@code Retry-After}, and the engine pauses the whole instance
 * for it. A classic AIMD sawtooth climbs above the capacity again every few windows, and each of those probes costs a
 * whole {@code Retry-After} pause (1 s idle every ~7 s is a throughput below 0.9). This one remembers where the last
 * drop happened and stays just below it, probing again only after {@link #PROBE_INTERVAL_NANOS} without a drop.
 *
 * <p><b>Phases.</b>
 *
 * <ul>
 *   <li><b>Slow start</b> (from {@code min(ceiling, 8)}): every successful call that ends with the limit at least half
 *       used raises the limit by 1, which doubles it per round trip (like TCP slow start). It ends at the first
 *       decrease, or at a window whose mean rtt is above {@link #LATENCY_RISE} x the baseline.
 *   <li><b>Decrease</b>: a drop (429, 503, timeout) sets the known drop point {@code W} to the calls in flight at the
 *       drop (at most the limit: slow start may have run the limit past the API's capacity before the first refusal
 *       came back, as TCP takes ssthresh from the flight size) and the limit to {@code max(1, floor(W x 0.9))}, at most
 *       once per congestion event: drops within the hold ({@code max(100 ms, 2 x baseline rtt)}) after a decrease are
 *       calls sent before it, and are ignored for the limit.
 *   <li><b>Windows</b> (after slow start): samples are grouped into windows of {@code max(1 s, 2 x baseline)} (by their
 *       end times) and at least 10 samples. A window without a drop, with the limit used (max in flight x 2 >= limit)
 *       and its mean rtt at most 2 x the baseline raises the limit by 1 while it is below {@code W - 2}; at {@code W -
 *       2} (the plateau, {@link #PLATEAU_MARGIN}) it stays until 30 s passed there without any drop, then probes once:
 *       +1, and {@code W} is forgotten; if no drop follows, the capacity grew and the limit grows by 1 per window from
 *       there. A window whose mean rtt rose above 2 x the baseline holds the limit.
 * </ul>
 *
 * <p><b>Baseline rtt</b>: the lowest mean rtt of the last 30 windows (windows are tracked in slow start too); before
 * the first window ends, the lowest single rtt seen (which then sizes the hold and the window, but is not compared with
 * a window mean: a mean of calls whose durations vary a lot, as LLM calls do, is often above twice their minimum
 * without any queueing). Only successful calls count for rtt: a 429 answers fast and a timeout takes the whole timeout,
 * and neither says how long the API takes to serve.
 *
 * <p><b>Time</b> comes only with the samples ({@code endNanos}), never from a clock read here, so tests are
 * deterministic. <b>Threading:</b> {@link #onSample} runs under this object's monitor; {@link #limit} is a volatile
 * read.
 */
final class ProbeLimit implements AdaptiveLimit {

    /** Where slow start begins: a fresh instance reaches 64 in 3 round trips without flooding a small API. */
    static final int INITIAL_LIMIT = 8;
    /** Multiplicative decrease: gentle, since we stay just below the drop point instead of sawing under it. */
    static final double BACKOFF = 0.9;
    /** The shortest hold between two decreases: calls sent before a decrease still come back as drops for a while. */
    static final long MIN_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The hold in baseline rtts: the calls sent before a decrease have all come back after about one rtt. */
    static final int HOLD_RTTS = 2;
    /** The shortest window: long enough to average over many calls at a few hundred ms each. */
    static final long MIN_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The window in baseline rtts: a window must see the calls sent at its beginning come back. */
    static final int WINDOW_RTTS = 2;
    /** Fewest samples in a window: a mean of fewer is noise. */
    static final int MIN_WINDOW_SAMPLES = 10;
    /** A window mean rtt above this multiple of the baseline means the API queues our calls: stop growing. */
    static final double LATENCY_RISE = 2.0;
    /**
     * The plateau sits this far below the drop point (the calls in flight when a refusal came back, itself included):
     * one for the refused call, one because an API counts a call until it has sent its last byte, a little after the
     * answer reaches us (ITs: at one below, a refusal came back every 15 s or so, each costing a Retry-After pause).
     */
    static final int PLATEAU_MARGIN = 2;
    /** Time at the plateau without a drop before probing above it once: each probe may cost a Retry-After pause. */
    static final long PROBE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Windows the baseline is the minimum of: long enough to forget a changed API, short enough to track it. */
    static final int BASELINE_WINDOWS = 30;

    private final int ceiling;
    private volatile int limit;

    // All below: guarded by this object's monitor.
    private int knownDrop;
    private boolean slowStart = true;
    private boolean decreased;
    private long lastDecreaseNanos;
    /** The later of: the last drop, the arrival at the plateau. Read only at the plateau. */
    private long quietSinceNanos;

    private long minRttNanos = -1;
    private final long[] windowMeans = new long[BASELINE_WINDOWS];
    private int windowMeansCount;
    private int windowMeansNext;
    private long windowBaselineNanos = -1;

    private boolean windowOpen;
    private long windowStartNanos;
    private int windowSamples;
    private int windowRttSamples;
    private long windowRttSumNanos;
    private int windowMaxInFlight;
    private boolean windowDropped;

    ProbeLimit(int ceiling) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("ceiling must be at least 1, was " + ceiling);
        }
        this.ceiling = ceiling;
        this.limit = Math.min(ceiling, INITIAL_LIMIT);
    }

    @Override
    public int limit() {
        return limit;
    }

    @Override
    public synchronized void onSample(long endNanos, long rttNanos, int inFlight, boolean dropped) {
        if (!windowOpen) {
            windowOpen = true;
            windowStartNanos = endNanos;
        }
        windowSamples++;
        windowMaxInFlight = Math.max(windowMaxInFlight, inFlight);
        if (dropped) {
            windowDropped = true;
            onDrop(endNanos, inFlight);
        } else {
            long rtt = Math.max(0, rttNanos);
            if (minRttNanos < 0 || rtt < minRttNanos) {
                minRttNanos = rtt;
            }
            windowRttSumNanos += rtt;
            windowRttSamples++;
            if (slowStart && inFlight * 2L >= limit) {
                changeLimit(limit + 1, endNanos);
            }
        }
        if (windowSamples >= MIN_WINDOW_SAMPLES && endNanos - windowStartNanos >= windowNanos()) {
            endWindow(endNanos);
        }
    }

    private void onDrop(long endNanos, int inFlight) {
        quietSinceNanos = endNanos;
        if (decreased && endNanos - lastDecreaseNanos < holdNanos()) {
            return;
        }
        decreased = true;
        lastDecreaseNanos = endNanos;
        slowStart = false;
        // The level the API refused is what was in flight, not the limit: slow start can run the limit past
        // the API's capacity before the first refusal comes back (like TCP's ssthresh from the flight size).
        int refusedAt = Math.max(1, Math.min(limit, inFlight));
        knownDrop = refusedAt;
        changeLimit((int) (refusedAt * BACKOFF), endNanos);
    }

    private void endWindow(long endNanos) {
        boolean hasMean = windowRttSamples > 0;
        long mean = hasMean ? windowRttSumNanos / windowRttSamples : 0;
        boolean latencyRose = hasMean && windowBaselineNanos >= 0 && mean > LATENCY_RISE * windowBaselineNanos;
        boolean used = windowMaxInFlight * 2L >= limit;
        boolean clean = !windowDropped;
        if (hasMean) {
            recordWindowMean(mean);
        }
        windowOpen = false;
        windowSamples = 0;
        windowRttSamples = 0;
        windowRttSumNanos = 0;
        windowMaxInFlight = 0;
        windowDropped = false;

        if (slowStart) {
            if (latencyRose) {
                slowStart = false;
            }
            return;
        }
        if (!clean || !used || latencyRose) {
            return;
        }
        if (!atPlateau()) {
            changeLimit(limit + 1, endNanos);
        } else if (endNanos - quietSinceNanos >= PROBE_INTERVAL_NANOS) {
            knownDrop = 0;
            changeLimit(limit + 1, endNanos);
        }
    }

    /** Sets the limit within [1, ceiling]; arriving at the plateau starts its quiet time. */
    private void changeLimit(int newLimit, long nowNanos) {
        boolean wasAtPlateau = atPlateau();
        limit = Math.max(1, Math.min(ceiling, newLimit));
        if (!wasAtPlateau && atPlateau()) {
            quietSinceNanos = nowNanos;
        }
    }

    /** Just below the known drop point: stay. */
    private boolean atPlateau() {
        return knownDrop > 0 && limit >= knownDrop - PLATEAU_MARGIN;
    }

    private void recordWindowMean(long mean) {
        windowMeans[windowMeansNext] = mean;
        windowMeansNext = (windowMeansNext + 1) % windowMeans.length;
        windowMeansCount = Math.min(windowMeansCount + 1, windowMeans.length);
        long min = Long.MAX_VALUE;
        for (int i = 0; i < windowMeansCount; i++) {
            min = Math.min(min, windowMeans[i]);
        }
        windowBaselineNanos = min;
    }

    /** The baseline rtt: of the windows when one ended, else the lowest single rtt; -1 before any rtt. */
    private long baselineNanos() {
        return windowBaselineNanos >= 0 ? windowBaselineNanos : minRttNanos;
    }

    private long holdNanos() {
        long baseline = baselineNanos();
        return baseline < 0 ? MIN_HOLD_NANOS : Math.max(MIN_HOLD_NANOS, saturatedTimes(baseline, HOLD_RTTS));
    }

    private long windowNanos() {
        long baseline = baselineNanos();
        return baseline < 0 ? MIN_WINDOW_NANOS : Math.max(MIN_WINDOW_NANOS, saturatedTimes(baseline, WINDOW_RTTS));
    }

    private static long saturatedTimes(long nanos, int times) {
        return nanos > Long.MAX_VALUE / times ? Long.MAX_VALUE : nanos * times;
    }

    /** The limit at the last decrease (0: none known, or forgotten by a probe); for tests. */
    synchronized int knownDrop() {
        return knownDrop;
    }

    /** Whether slow start still runs; for tests. */
    synchronized boolean inSlowStart() {
        return slowStart;
    }

    @Override
    public synchronized String toString() {
        return "ProbeLimit[limit=" + limit + ", ceiling=" + ceiling + ", knownDrop=" + knownDrop + ", slowStart="
                + slowStart + ", baselineNanos=" + baselineNanos() + "]";
    }
}
