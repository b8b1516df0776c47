package dev.chatbridge.registry;

import dev.chatbridge.transport.Backoff;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Fails registry calls at once while the registry is known to be unavailable, so that stream threads do not each wait
 * out a full call against a registry that is down.
 *
 * <p>After a call fails as unavailable ({@link SchemaRegistryException#isUnavailable()}), calls fail at once for
 * {@code schema.registry.outage.backoff.ms}; then one call goes through as a probe (the others keep failing at once
 * while it runs). A failed probe doubles the pause, up to {@code schema.registry.outage.backoff.max.ms}; any answer
 * from the registry (success or an error that is not unavailability) closes the gate.
 *
 * <p>Thread-safe: all state is under the instance lock, which is never held during a call.
 */
final class OutageGate {

    private final Duration backoff;
    private final Duration backoffMax;
    private final LongSupplier nanoTime;
    private int failures;
    private long closedUntil;
    private boolean probing;
    private SchemaRegistryException lastFailure;

    OutageGate(Duration backoff, Duration backoffMax, LongSupplier nanoTime) {
        this.backoff = backoff;
        this.backoffMax = backoffMax;
        this.nanoTime = nanoTime;
    }

    /**
     * Lets the call through, or throws an unavailable {@link SchemaRegistryException} at once.
     *
     * @return whether the call is the probe of an outage
     */
    synchronized boolean enter(String what) {
        if (failures == 0) {
            return false;
        }
        long wait = closedUntil - nanoTime.getAsLong();
        if (wait > 0 || probing) {
            throw new SchemaRegistryException(
                    "Schema registry is unavailable (" + failures + " failed call"
                            + (failures == 1 ? "" : "s") + " in a row; "
                            + (probing
                                    ? "a probe call is under way"
                                    : "next probe in " + Duration.ofNanos(wait).toMillis() + " ms")
                            + "), so " + what
                            + " fails at once. Last failure: " + lastFailure.getMessage(),
                    0,
                    SchemaRegistryException.NO_ERROR_CODE,
                    lastFailure);
        }
        probing = true;
        return true;
    }

    /** The registry answered (successfully or with an error that is not unavailability). */
    synchronized void answered() {
        failures = 0;
        probing = false;
        lastFailure = null;
    }

    /** The call let through did not reach the registry after all; a probe may go again. */
    synchronized void withdraw(boolean probe) {
        if (probe) {
            probing = false;
        }
    }

    /** The call failed as unavailable. */
    synchronized void failed(SchemaRegistryException failure) {
        failures++;
        probing = false;
        lastFailure = failure;
        closedUntil = nanoTime.getAsLong()
                + Backoff.exponential(backoff, backoffMax, failures).toNanos();
    }

    /** Whether calls go through (no outage, or its pause is over and a probe may go). */
    synchronized boolean open() {
        return failures == 0 || !probing && closedUntil - nanoTime.getAsLong() <= 0;
    }
}
