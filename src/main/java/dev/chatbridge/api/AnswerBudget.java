package dev.chatbridge.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that the answers of all calls in flight may take together, shared by the calls of one {@link ChatClient}.
 * Each call opens a {@link Reservation} and, as the bytes arrive, reserves {@link #HEAP_BYTES_PER_ANSWER_BYTE} bytes of
 * budget per answer byte plus, with its first bytes, {@link #BASE_HEAP_BYTES}; the reservation is returned whole when
 * the call ends, however it ends. The two figures are a measured bound: for every worst shape, the heap one answer
 * takes stays below {@code BASE_HEAP_BYTES + HEAP_BYTES_PER_ANSWER_BYTE x answer bytes}.
 *
 * <p>The per-answer byte limit bounds one answer; this bounds their sum, which the per-answer limit cannot: 64 calls in
 * flight times a 1 MB limit times the heap per answer byte may be more than the heap. A call that cannot reserve is not
 * at fault (the others took the room), so it fails retriably; see docs/architecture.md, "Answers: what counts as one,
 * and how big it may be".
 *
 * <p>Thread-safe: reservations are taken on event loops and returned on any thread.
 */
final class AnswerBudget {

    /**
     * Heap bytes one answer byte may take while it is parsed and aggregated, for the worst large shape (one SSE event
     * of huge text with a character outside Latin-1: 9.44), rounded up. Measured by {@code AnswerHeapProbe}
     * (docs/architecture.md has the command and the figures per shape).
     */
    static final int HEAP_BYTES_PER_ANSWER_BYTE = 10;

    /**
     * Heap bytes one answer may take beyond {@link #HEAP_BYTES_PER_ANSWER_BYTE} per byte: the parser's buffers and,
     * above all, small answers made of many tiny items up to their {@link AnswerCaps#DEFAULT} caps. Measured by
     * {@code AnswerHeapProbe}, rounded up.
     */
    static final int BASE_HEAP_BYTES = 256 * 1024;

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

    /** Heap bytes reserved for an answer of {@code answerBytes}. */
    static long heapFor(long answerBytes) {
        return BASE_HEAP_BYTES + answerBytes * HEAP_BYTES_PER_ANSWER_BYTE;
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

        private Reservation() {}

        /**
         * Reserves the heap of {@code answerBytes} more answer bytes (with the base, the first time); false when the
         * budget has not that much left (nothing is then taken) or the reservation is closed.
         */
        synchronized boolean reserve(int answerBytes) {
            long bytes = (long) answerBytes * HEAP_BYTES_PER_ANSWER_BYTE + (held == 0 ? BASE_HEAP_BYTES : 0);
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
