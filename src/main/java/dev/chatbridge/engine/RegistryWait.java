package dev.chatbridge.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the instance is waiting for the schema registry: set when a step could not decode or serialize because the
 * registry could not be asked, cleared when a later step succeeds with it. Readiness is false while it is set; input
 * keeps flowing into the pending table (parked), so the wait shows as pending entries and, once
 * {@code chat.max.pending} is reached, as consumer lag.
 *
 * <p><b>Threading.</b> Lock-free; any thread.
 */
public final class RegistryWait {

    private final AtomicLong unavailableSince = new AtomicLong(0);

    /** A step could not ask the registry. */
    void unavailable() {
        unavailableSince.compareAndSet(0, System.currentTimeMillis());
    }

    /** A step that needed the registry succeeded. */
    void available() {
        unavailableSince.set(0);
    }

    /** Whether the instance is waiting for the registry now. */
    public boolean isWaiting() {
        return unavailableSince.get() != 0;
    }
}
