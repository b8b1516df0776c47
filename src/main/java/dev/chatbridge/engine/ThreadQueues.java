package dev.chatbridge.engine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * One task's in-memory index of its pending table: for each conversation thread, the sequences of its pending entries
 * in input order, and which threads have a head entry ready to call.
 *
 * <p>A thread is in exactly one of these states: <i>ready</i> (its head waits for a permit, in the FIFO {@code ready}
 * queue, so threads of a task are served round robin), <i>scheduled</i> (its head waits for a retry backoff to pass),
 * <i>busy</i> (its head is being called, or its previous call's outcome waits to be committed: in neither queue), or
 * absent (nothing pending). Only the head of a thread is ever called, which gives at most one call per thread and
 * per-thread input order.
 *
 * <p>Entries are either calls or <i>local</i> entries, which the stream thread handles itself (a refused request's dead
 * letter, undecodable or parked input): {@link #headIsLocal} tells which, so the caller takes an in-flight permit only
 * for a call. Sequences are input offsets of the task's one source partition, so they are unique across threads.
 *
 * <p>Memory is proportional to the task's pending entries. Rebuilt from the store on {@code init()}.
 *
 * <p><b>Threading.</b> Owned by the task's stream thread; not thread-safe.
 */
final class ThreadQueues {

    private record Scheduled(long notBefore, String thread) {}

    private final Map<String, ArrayDeque<Long>> byThread = new HashMap<>();
    private final Set<Long> local = new HashSet<>();
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final PriorityQueue<Scheduled> scheduled =
            new PriorityQueue<>((a, b) -> Long.compare(a.notBefore(), b.notBefore()));
    private int size;

    /** Adds an entry at the end of its thread; a thread that had nothing pending becomes ready (or scheduled). */
    void append(String thread, long sequence, long notBefore, long now, boolean isLocal) {
        append(thread, sequence, notBefore, now, isLocal, false);
    }

    /**
     * Adds an entry at the end of its thread; a thread that had nothing pending becomes ready (or scheduled), or busy
     * when {@code held} (it waits for {@link #release}).
     */
    void append(String thread, long sequence, long notBefore, long now, boolean isLocal, boolean held) {
        ArrayDeque<Long> q = byThread.computeIfAbsent(thread, t -> new ArrayDeque<>());
        if (!q.isEmpty() && q.peekLast() >= sequence) {
            throw new IllegalStateException(
                    "pending entries of a thread out of order: " + sequence + " after " + q.peekLast());
        }
        q.addLast(sequence);
        if (isLocal) {
            local.add(sequence);
        }
        size++;
        if (q.size() == 1 && !held) {
            wait(thread, notBefore, now);
        }
    }

    /** Moves threads whose backoff has passed to the ready queue. */
    void promoteDue(long now) {
        while (!scheduled.isEmpty() && scheduled.peek().notBefore() <= now) {
            ready.addLast(scheduled.poll().thread());
        }
    }

    boolean hasReady() {
        return !ready.isEmpty();
    }

    /**
     * Takes the next ready thread; it is busy until {@link #removeHead}, {@link #retryHead} or {@link #requeueHead}.
     */
    String pollReady() {
        return ready.pollFirst();
    }

    /** Puts a thread just taken with {@link #pollReady} back at the front (it could not be served now). */
    void unpoll(String thread) {
        ready.addFirst(thread);
    }

    /** Whether the thread has pending entries. */
    boolean has(String thread) {
        return byThread.containsKey(thread);
    }

    /** Whether the thread's head entry is handled locally (no API call). */
    boolean headIsLocal(String thread) {
        return local.contains(head(thread));
    }

    /** The sequence of the thread's head entry. */
    long head(String thread) {
        ArrayDeque<Long> q = byThread.get(thread);
        if (q == null || q.isEmpty()) {
            throw new IllegalStateException("no pending entry for thread key of length " + thread.length());
        }
        return q.peekFirst();
    }

    /** The busy thread's head reached its final outcome; its next entry, if any, becomes ready. */
    void removeHead(String thread, long now) {
        ArrayDeque<Long> q = byThread.get(thread);
        local.remove(q.pollFirst());
        size--;
        if (q.isEmpty()) {
            byThread.remove(thread);
        } else {
            wait(thread, PendingEntry.NONE, now);
        }
    }

    /**
     * The busy thread's head reached its final outcome and is removed; the thread stays busy (its next entry waits for
     * {@link #release}). Returns whether it has a next entry (else it is gone).
     */
    boolean advance(String thread) {
        ArrayDeque<Long> q = byThread.get(thread);
        local.remove(q.pollFirst());
        size--;
        if (q.isEmpty()) {
            byThread.remove(thread);
            return false;
        }
        return true;
    }

    /** A busy thread's head may go now: it becomes ready. */
    void release(String thread, long now) {
        wait(thread, PendingEntry.NONE, now);
    }

    /** The busy thread's head is to be called again after {@code notBefore}; the thread's later entries wait. */
    void retryHead(String thread, long notBefore, long now) {
        wait(thread, notBefore, now);
    }

    /** The busy thread's head is to be called again as soon as possible (its call ended without an answer). */
    void requeueHead(String thread) {
        ready.addLast(thread);
    }

    /** Entries indexed. */
    int size() {
        return size;
    }

    /** Threads with a pending entry. */
    int threads() {
        return byThread.size();
    }

    private void wait(String thread, long notBefore, long now) {
        if (notBefore != PendingEntry.NONE && notBefore > now) {
            scheduled.add(new Scheduled(notBefore, thread));
        } else {
            ready.addLast(thread);
        }
    }
}
