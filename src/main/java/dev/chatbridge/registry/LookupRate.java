package dev.chatbridge.registry;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A token bucket that bounds registry lookups of ids not cached, so that records carrying thousands of distinct bogus
 * ids cannot make a stream thread flood the registry.
 *
 * <p>It holds up to {@code perSecond} tokens and gains {@code perSecond} a second. A lookup takes a token; without one
 * it waits for the next, at most {@code maxWait}: a lookup that would wait longer (several threads queueing) fails at
 * once as unavailable, so no wait is unbounded.
 *
 * <p>Thread-safe: tokens are reserved under the instance lock; waiting happens outside it.
 */
final class LookupRate {

    private final double perSecond;
    private final long maxWaitNanos;
    private final LongSupplier nanoTime;
    private double tokens;
    private long refilledAt;

    LookupRate(int perSecond, Duration maxWait, LongSupplier nanoTime) {
        this.perSecond = perSecond;
        this.maxWaitNanos = maxWait.toNanos();
        this.nanoTime = nanoTime;
        this.tokens = perSecond;
        this.refilledAt = nanoTime.getAsLong();
    }

    /**
     * Takes a token, waiting for it up to the bound; throws an unavailable {@link SchemaRegistryException} otherwise.
     */
    void acquire(String what) {
        long wait = reserve();
        if (wait < 0) {
            throw new SchemaRegistryException(
                    "More than " + (long) perSecond + " schema lookups a second (setting "
                            + RegistryClientConfig.ID_LOOKUPS_PER_SECOND + "), and " + what + " would wait over "
                            + Duration.ofNanos(maxWaitNanos).toMillis() + " ms for its turn: not calling the registry",
                    0,
                    SchemaRegistryException.NO_ERROR_CODE);
        }
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("Interrupted while waiting for the schema lookup rate bound", e);
            }
        }
    }

    /** Nanoseconds to wait for the reserved token, or -1 when the wait would pass the bound (nothing reserved). */
    synchronized long reserve() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(perSecond, tokens + (now - refilledAt) * perSecond / 1e9);
        refilledAt = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        long wait = (long) Math.ceil((1 - tokens) * 1e9 / perSecond);
        if (wait > maxWaitNanos) {
            return -1;
        }
        tokens -= 1;
        return wait;
    }
}
