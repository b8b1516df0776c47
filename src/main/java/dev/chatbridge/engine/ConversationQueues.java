package dev.chatbridge.engine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * One task's in-memory index of its pending table: for each conversation, the sequences of its pending entries in input
 * order, and which conversations have a head entry ready to call.
 *
 * <p>A conversation is in exactly one of these states: <i>ready</i> (its head waits for a permit, in the FIFO
 * {@code ready} queue, so conversations of a task are served round robin), <i>scheduled</i> (its head waits for a retry
 * backoff to pass), <i>busy</i> (its head is being called, or its previous call's outcome waits to be committed: in
 * neither queue), or absent (nothing pending). Only the head of a conversation is ever called, which gives at most one
 * call per conversation and per-conversation input order.
 *
 * <p>Entries are either calls or <i>local</i> entries, which the stream thread handles itself (a refused request's dead
 * letter, undecodable or parked input): {@link #headIsLocal} tells which, so the caller takes an in-flight permit only
 * for a call. Sequences are input offsets of the task's one source partition, so they are unique across conversations.
 *
 * <p>Memory is proportional to the task's pending entries. Rebuilt from the store on {@code init()}.
 *
 * <p><b>Threading.</b> Owned by the task's stream thread; not thread-safe.
 */
final class ConversationQueues {

    private record Scheduled(long notBefore, String conversation) {}

    private final Map<String, ArrayDeque<Long>> byConversation = new HashMap<>();
    private final Set<Long> local = new HashSet<>();
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final PriorityQueue<Scheduled> scheduled =
            new PriorityQueue<>((a, b) -> Long.compare(a.notBefore(), b.notBefore()));
    private int size;

    /**
     * Adds an entry at the end of its conversation; a conversation that had nothing pending becomes ready (or
     * scheduled).
     */
    void append(String conversation, long sequence, long notBefore, long now, boolean isLocal) {
        append(conversation, sequence, notBefore, now, isLocal, false);
    }

    /**
     * Adds an entry at the end of its conversation; a conversation that had nothing pending becomes ready (or
     * scheduled), or busy when {@code held} (it waits for {@link #release}).
     */
    void append(String conversation, long sequence, long notBefore, long now, boolean isLocal, boolean held) {
        ArrayDeque<Long> q = byConversation.computeIfAbsent(conversation, t -> new ArrayDeque<>());
        if (!q.isEmpty() && q.peekLast() >= sequence) {
            throw new IllegalStateException(
                    "pending entries of a conversation out of order: " + sequence + " after " + q.peekLast());
        }
        q.addLast(sequence);
        if (isLocal) {
            local.add(sequence);
        }
        size++;
        if (q.size() == 1 && !held) {
            wait(conversation, notBefore, now);
        }
    }

    /** Moves conversations whose backoff has passed to the ready queue. */
    void promoteDue(long now) {
        while (!scheduled.isEmpty() && scheduled.peek().notBefore() <= now) {
            ready.addLast(scheduled.poll().conversation());
        }
    }

    boolean hasReady() {
        return !ready.isEmpty();
    }

    /**
     * Takes the next ready conversation; it is busy until {@link #removeHead}, {@link #retryHead} or
     * {@link #requeueHead}.
     */
    String pollReady() {
        return ready.pollFirst();
    }

    /** Puts a conversation just taken with {@link #pollReady} back at the front (it could not be served now). */
    void unpoll(String conversation) {
        ready.addFirst(conversation);
    }

    /** Whether the conversation has pending entries. */
    boolean has(String conversation) {
        return byConversation.containsKey(conversation);
    }

    /** Whether the conversation's head entry is handled locally (no API call). */
    boolean headIsLocal(String conversation) {
        return local.contains(head(conversation));
    }

    /** The sequence of the conversation's head entry. */
    long head(String conversation) {
        ArrayDeque<Long> q = byConversation.get(conversation);
        if (q == null || q.isEmpty()) {
            throw new IllegalStateException("no pending entry for conversation key of length " + conversation.length());
        }
        return q.peekFirst();
    }

    /** The busy conversation's head reached its final outcome; its next entry, if any, becomes ready. */
    void removeHead(String conversation, long now) {
        ArrayDeque<Long> q = byConversation.get(conversation);
        local.remove(q.pollFirst());
        size--;
        if (q.isEmpty()) {
            byConversation.remove(conversation);
        } else {
            wait(conversation, PendingEntry.NONE, now);
        }
    }

    /**
     * The busy conversation's head reached its final outcome and is removed; the conversation stays busy (its next
     * entry waits for {@link #release}). Returns whether it has a next entry (else it is gone).
     */
    boolean advance(String conversation) {
        ArrayDeque<Long> q = byConversation.get(conversation);
        local.remove(q.pollFirst());
        size--;
        if (q.isEmpty()) {
            byConversation.remove(conversation);
            return false;
        }
        return true;
    }

    /** A busy conversation's head may go now: it becomes ready. */
    void release(String conversation, long now) {
        wait(conversation, PendingEntry.NONE, now);
    }

    /**
     * The busy conversation's head is to be called again after {@code notBefore}; the conversation's later entries
     * wait.
     */
    void retryHead(String conversation, long notBefore, long now) {
        wait(conversation, notBefore, now);
    }

    /** The busy conversation's head is to be called again as soon as possible (its call ended without an answer). */
    void requeueHead(String conversation) {
        ready.addLast(conversation);
    }

    /** Entries indexed. */
    int size() {
        return size;
    }

    /** Conversations with a pending entry. */
    int conversations() {
        return byConversation.size();
    }

    private void wait(String conversation, long notBefore, long now) {
        if (notBefore != PendingEntry.NONE && notBefore > now) {
            scheduled.add(new Scheduled(notBefore, conversation));
        } else {
            ready.addLast(conversation);
        }
    }
}
