package dev.chatbridge.api;

import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.SettingChecks;
import dev.chatbridge.transport.Backoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * When to try a failed call again: exponential backoff with full jitter, bounded by a number of attempts and a total
 * time, honouring the server's {@code Retry-After} up to a cap.
 *
 * <p>The delay before attempt {@code n + 1} (after {@code n} attempts) is a uniformly random duration in {@code [0,
 * min(maxBackoff, initialBackoff * 2^(n-1))]} (full jitter, which spreads retries of many clients best). When the
 * server sent {@code Retry-After}, the delay is at least that value, capped at {@code maxRetryAfter}. No attempt is
 * scheduled that would start after {@code maxTotalTime} since the first one, nor beyond {@code maxAttempts}.
 *
 * <p>Immutable except for its random source, and thread-safe when that source is: production passes a thread-safe
 * generator (for example {@code java.util.Random}); tests pass a seeded one for deterministic delays.
 *
 * @param maxAttempts calls at most, the first included (at least 1)
 * @param initialBackoff upper bound of the first delay
 * @param maxBackoff upper bound of any delay from backoff alone
 * @param maxRetryAfter cap on a server's {@code Retry-After}
 * @param maxTotalTime no attempt starts later than this after the first
 * @param random source of jitter
 */
public record RetryPolicy(
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        Duration maxRetryAfter,
        Duration maxTotalTime,
        RandomGenerator random) {

    public RetryPolicy {
        List<String> problems = new ArrayList<>();
        SettingChecks.atLeast(maxAttempts, 1, "maxAttempts", problems);
        SettingChecks.positive(initialBackoff, "initialBackoff", problems);
        SettingChecks.positive(maxBackoff, "maxBackoff", problems);
        SettingChecks.positive(maxRetryAfter, "maxRetryAfter", problems);
        SettingChecks.positive(maxTotalTime, "maxTotalTime", problems);
        InvalidConfigurationException.throwIfAny(problems);
        Objects.requireNonNull(random, "random");
    }

    /**
     * The delay before the next attempt, or empty when the budget is spent.
     *
     * @param attemptsMade calls made so far (at least 1)
     * @param elapsed time since the first call started
     * @param retryAfter the server's {@code Retry-After}, or null when it sent none
     */
    public Optional<Duration> nextDelay(int attemptsMade, Duration elapsed, Duration retryAfter) {
        if (attemptsMade < 1) {
            throw new IllegalArgumentException("attemptsMade must be at least 1, was " + attemptsMade);
        }
        if (attemptsMade >= maxAttempts) {
            return Optional.empty();
        }
        Duration delay = jitteredBackoff(attemptsMade);
        if (retryAfter != null && !retryAfter.isNegative()) {
            Duration serverAsked = capped(retryAfter);
            if (serverAsked.compareTo(delay) > 0) {
                delay = serverAsked;
            }
        }
        if (elapsed.plus(delay).compareTo(maxTotalTime) > 0) {
            return Optional.empty();
        }
        return Optional.of(delay);
    }

    /** The server's {@code Retry-After}, at most {@code maxRetryAfter}. */
    public Duration capped(Duration retryAfter) {
        return retryAfter.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : retryAfter;
    }

    /** The longest time a request can spend in retries: the total-time budget. */
    public Duration worstCaseTotal() {
        return maxTotalTime;
    }

    private Duration jitteredBackoff(int attemptsMade) {
        long ceiling =
                Backoff.exponential(initialBackoff, maxBackoff, attemptsMade).toMillis();
        return Duration.ofMillis(random.nextLong(ceiling + 1));
    }
}
