package dev.chatbridge.engine;

/**
 * A concurrency limit that moves below a ceiling with what API calls tell it: down when they are refused or time out,
 * up while they succeed with the limit in use and latency near its baseline. Pure: no clock of its own (time comes with
 * each sample), no threads, no I/O.
 */
public interface AdaptiveLimit {
    /** The limit in force now, 1..ceiling. Thread-safe, cheap (a volatile read). */
    int limit();

    /**
     * One call ended. Thread-safe (called concurrently from Netty threads).
     *
     * @param endNanos System.nanoTime() at its end (tests pass a synthetic clock)
     * @param rttNanos its duration (>= 0)
     * @param inFlight calls in flight when it ended, itself included
     * @param dropped true when it ended with 429, 503 or a timeout
     */
    void onSample(long endNanos, long rttNanos, int inFlight, boolean dropped);

    /** The algorithms to choose from. */
    enum Algorithm {
        /** {@link ProbeLimit}: finds the capacity fast, then sits just below it and probes rarely (the default). */
        PROBE,
        /** Netflix concurrency-limits AIMD in 1 s windows: +1 per window, x0.9 on a window with a drop. */
        AIMD,
        /** Netflix concurrency-limits Gradient2 in 1 s windows: latency-based, ignores drops. */
        GRADIENT2
    }

    /** A limit of the algorithm below {@code ceiling} (chat.max.in.flight, >= 1). */
    static AdaptiveLimit of(Algorithm algorithm, int ceiling) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("ceiling must be at least 1, was " + ceiling);
        }
        return switch (algorithm) {
            case PROBE -> new ProbeLimit(ceiling);
            case AIMD -> NetflixLimit.aimd(ceiling);
            case GRADIENT2 -> NetflixLimit.gradient2(ceiling);
        };
    }
}
