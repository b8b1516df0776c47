package dev.chatbridge.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many accepted requests this instance has not finished, across all its tasks: the measure that backpressure
 * compares with {@code maxPending}.
 *
 * <p>A request counts from the moment its task puts it into the pending table (or finds it there on {@code init()})
 * until its call reaches a final outcome (success or permanent failure, counted off on the Netty thread as soon as the
 * call completes, not when the outcome is forwarded) or its retries are exhausted, or until its task closes. Counting
 * off at completion means a stream thread blocked in one task never waits for another task of the same stream thread to
 * forward.
 *
 * <p><b>Threading.</b> Lock-free: stream threads and Netty threads update it through the {@link Share} of a task; each
 * share can only withdraw what it added, so a race between a completion and a task's close never counts a request off
 * twice.
 */
public final class PendingCount {

    private final AtomicInteger total = new AtomicInteger();

    /** Requests counted now. */
    public int get() {
        return total.get();
    }

    /** A task's part of the count. */
    Share share() {
        return new Share();
    }

    /** One task's contribution; see the class comment for the threading. */
    final class Share {
        private final AtomicInteger mine = new AtomicInteger();

        private Share() {}

        void add() {
            mine.incrementAndGet();
            total.incrementAndGet();
        }

        /** Counts one request off, unless the share is already empty (closed). */
        void withdrawOne() {
            if (mine.getAndUpdate(c -> c > 0 ? c - 1 : c) > 0) {
                total.decrementAndGet();
            }
        }

        /** Counts off everything this share still holds (task closed). */
        void withdrawAll() {
            total.addAndGet(-mine.getAndSet(0));
        }
    }
}
