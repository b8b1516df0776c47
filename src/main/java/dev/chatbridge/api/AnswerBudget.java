package dev.chatbridge.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that the answers of all calls in flight may take together, shared by the calls of one
 * {@link ChatClient}. Each call opens a {@link Reservation} and reserves
 * {@link #HEAP_BYTES_PER_ANSWER_BYTE} bytes of budget per answer byte as the bytes arrive; the
 * reservation is returned whole when the call ends, however it ends.
 *
 * <p>The per-answer byte limit bounds one answer; this bounds their sum, which the per-answer
 * limit cannot: 64 calls in flight times a 1 MB limit times the heap per answer byte may be more
 * than the heap. A call that cannot reserve is not at fault (the others took the room), so it
 * fails retriably; see docs/architecture.md, "Answers: what counts as one, and how big it may be".
 *
 * <p>Thread-safe: reservations are taken on event loops and returned on any thread.
 */
final class AnswerBudget {

    /**
     * Peak heap bytes one answer byte may take while it is parsed and aggregated, worst shape
     * first, with {@link AnswerCaps#DEFAULT}, rounded up. Measured by {@code AnswerHeapProbe} (see
     * docs/architecture.md for the command and the figures per shape).
     */
    static final int HEAP_BYTES_PER_ANSWER_BYTE = 8;

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    /** A budget of {@code capacity} heap bytes. */
    AnswerBudget(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** The budget in heap bytes. */
    long capacity() {
        return capacity;
    }

    /** Heap bytes reserved by calls in flight now. */
    long used() {
        return used.get();
    }

    /** A new, empty reservation; close it when the call ends. */
    Reservation open() {
        return new Reservation();
    }

    private boolean tryTake(long bytes) {
        while (true) {
            long now = used.get();
            if (now + bytes > capacity) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** What one call holds of the budget. Thread-safe; closing twice is harmless. */
    final class Reservation implements AutoCloseable {

        private long held;
        private boolean closed;

        private Reservation() {
        }

        /**
         * Reserves the heap of {@code answerBytes} more answer bytes; false when the budget has not
         * that much left (nothing is then taken) or the reservation is closed.
         */
        synchronized boolean reserve(int answerBytes) {
            long bytes = (long) answerBytes * HEAP_BYTES_PER_ANSWER_BYTE;
            if (closed || !tryTake(bytes)) {
                return false;
            }
            held += bytes;
            return true;
        }

        /** Heap bytes this reservation holds. */
        synchronized long held() {
            return held;
        }

        /** Returns everything held to the budget. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                used.addAndGet(-held);
                held = 0;
            }
        }
    }
}
