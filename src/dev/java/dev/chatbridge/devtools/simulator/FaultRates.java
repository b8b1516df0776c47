package dev.chatbridge.devtools.simulator;

/**
 * Random faults by configuration, for calls that carry no {@code #fault:} marker. Each call draws once from the
 * simulator's seeded random source; at most one fault applies.
 *
 * @param tooManyRequests probability of a 429 with {@code Retry-After: retryAfterSeconds}
 * @param retryAfterSeconds the {@code Retry-After} of those 429s (at least 0)
 * @param internalError probability that a burst of 500s starts
 * @param unavailable probability that a burst of 503s starts
 * @param burstLength calls (the drawing one included) that a 500/503 burst fails, in arrival order across all threads
 *     (at least 1)
 * @param connectionReset probability that the connection is reset without a response
 */
public record FaultRates(
        double tooManyRequests,
        int retryAfterSeconds,
        double internalError,
        double unavailable,
        int burstLength,
        double connectionReset) {

    /** No random faults (the default). */
    public static final FaultRates NONE = new FaultRates(0, 1, 0, 0, 1, 0);

    public FaultRates {
        requireProbability(tooManyRequests, "tooManyRequests");
        requireProbability(internalError, "internalError");
        requireProbability(unavailable, "unavailable");
        requireProbability(connectionReset, "connectionReset");
        if (tooManyRequests + internalError + unavailable + connectionReset > 1.0 + 1e-9) {
            throw new IllegalArgumentException("fault rates must add up to at most 1, were "
                    + (tooManyRequests + internalError + unavailable + connectionReset));
        }
        if (retryAfterSeconds < 0) {
            throw new IllegalArgumentException("retryAfterSeconds must not be negative, was " + retryAfterSeconds);
        }
        if (burstLength < 1) {
            throw new IllegalArgumentException("burstLength must be at least 1, was " + burstLength);
        }
    }

    /** True when no fault can be drawn. */
    boolean none() {
        return tooManyRequests == 0 && internalError == 0 && unavailable == 0 && connectionReset == 0;
    }

    private static void requireProbability(double value, String name) {
        if (!(value >= 0.0 && value <= 1.0)) {
            throw new IllegalArgumentException(name + " must be a probability in [0, 1], was " + value);
        }
    }
}
