package dev.chatbridge.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff, the one computation behind every "doubles up to a cap" wait: the API retry policy's jitter
 * ceiling, the registry client's pause between attempts, and the registry outage gate's pause between probes.
 *
 * <p>Step {@code n} (counted from 1) waits {@code first * 2^(n-1)}, capped at {@code cap}. It never overflows: once the
 * doubled value would pass the cap, the cap is the answer, however large {@code n} is. Stateless.
 */
public final class Backoff {

    private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);

    private Backoff() {}

    /**
     * The wait of the given step: {@code min(cap, first * 2^(step-1))}.
     *
     * @param first the wait of step 1 (not negative)
     * @param cap the longest wait (not negative); a cap below {@code first} caps every step, the first included
     * @param step 1 for the first wait, 2 for the second, and so on
     */
    public static Duration exponential(Duration first, Duration cap, int step) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(cap, "cap");
        if (step < 1) {
            throw new IllegalArgumentException("step must be at least 1, was " + step);
        }
        if (first.isNegative() || cap.isNegative()) {
            throw new IllegalArgumentException("first and cap must not be negative, were " + first + " and " + cap);
        }
        // Durations past Long.MAX_VALUE nanoseconds (292 years: "no cap" in practice) count as that much.
        long firstNanos = first.compareTo(LONGEST) > 0 ? Long.MAX_VALUE : first.toNanos();
        long capNanos = cap.compareTo(LONGEST) > 0 ? Long.MAX_VALUE : cap.toNanos();
        int doublings = Math.min(step - 1, 62);
        // firstNanos <= capNanos >> doublings means firstNanos << doublings <= capNanos: no overflow.
        return Duration.ofNanos(firstNanos > (capNanos >> doublings) ? capNanos : firstNanos << doublings);
    }
}
