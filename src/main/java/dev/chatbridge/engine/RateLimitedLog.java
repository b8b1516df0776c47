package dev.chatbridge.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one log line of a kind through per interval and counts the ones held back, so that a producer cannot choose the
 * log volume by sending bad records. The line that is let through says how many were held back since the last one.
 *
 * <p><b>Threading.</b> Lock-free; any thread.
 */
public final class RateLimitedLog {

    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    /** Lets one line through per {@code interval}. */
    public RateLimitedLog(long interval, TimeUnit unit) {
        this.intervalNanos = unit.toNanos(interval);
    }

    /**
     * Whether this occurrence is logged. Returns the number of occurrences held back since the last logged one (0 or
     * more) when it is, or -1 when it is held back.
     */
    public long tryAcquire() {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextAllowed.compareAndSet(next, now + intervalNanos)) {
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }
}
