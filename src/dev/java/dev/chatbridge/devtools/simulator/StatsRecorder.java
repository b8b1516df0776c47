package dev.chatbridge.devtools.simulator;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the simulator remembers: counts, concurrency, per-thread turns and arrival order, fault attempts and the
 * chunks sent per call.
 *
 * <p>Threading: written by Netty event-loop threads and Reactor timer threads (one call may start on one and finish on
 * another), read by test threads. Every method holds this object's monitor, except {@link #counters()} and the call
 * timings, which live in {@link ConcurrencyCounters} and {@link CallTimings} (their own monitor, lock-free) so that
 * benchmarks can read them often without contending with the per-thread bookkeeping; no method does I/O or calls out
 * while holding a monitor. Memory is bounded: at most {@code maxTrackedThreads} threads (least recently used forgotten,
 * with their turn count), {@code maxRecordedCalls} order entries per thread, attempt counters and sent-chunk lists.
 */
final class StatsRecorder {

    private final int maxRecordedCalls;
    private final ConcurrencyCounters counters = new ConcurrencyCounters();
    private final CallTimings timings;

    private long totalCalls;
    private long probes;
    private int current;
    private int peak;
    private final Map<String, Long> byStatus = new HashMap<>();
    private final LinkedHashMap<String, ThreadState> threads;
    private final LinkedHashMap<String, Integer> attempts;
    private final LinkedHashMap<String, List<String>> sent;

    StatsRecorder(int maxRecordedCalls, int maxTrackedThreads) {
        this(maxRecordedCalls, maxTrackedThreads, 0);
    }

    /** With {@code callTimings} > 0, also keeps up to that many {@link CallTiming}s until drained. */
    StatsRecorder(int maxRecordedCalls, int maxTrackedThreads, int callTimings) {
        this.maxRecordedCalls = maxRecordedCalls;
        this.timings = new CallTimings(callTimings);
        this.threads = lru(maxTrackedThreads, true);
        this.attempts = lru(maxRecordedCalls, true);
        this.sent = lru(maxRecordedCalls, false);
    }

    /** A call of {@code POST /chats/v2} arrived; the returned handle must be finished exactly once. */
    Call callStarted() {
        long start = counters.started();
        synchronized (this) {
            totalCalls++;
            current++;
            peak = Math.max(peak, current);
        }
        return new Call(this, start);
    }

    /** The cumulative counters; O(statuses), does not take this object's monitor. */
    SimulatorCounters counters() {
        return counters.snapshot();
    }

    /** A call was turned away by a quota (counted in {@link SimulatorCounters#quotaRefusals()}). */
    void quotaRefused(Quotas.Cause cause) {
        counters.refused(cause);
    }

    /** Takes the call timings held (empty unless enabled). */
    List<CallTiming> drainCallTimings() {
        return timings.drain();
    }

    /** Call timings dropped because the buffer was full. */
    long droppedCallTimings() {
        return timings.dropped();
    }

    /** A key probe arrived (see {@link SimulatorStats#probes()}). */
    synchronized void probe() {
        probes++;
    }

    /** The number of this attempt (1 for the first) of the request known by {@code key}. */
    synchronized int nextAttempt(String key) {
        return attempts.merge(key, 1, Integer::sum);
    }

    /** The next turn number of a thread: one more than the full answers it got so far. */
    synchronized long nextTurn(String threadKey) {
        ThreadState state = threads.computeIfAbsent(threadKey, k -> new ThreadState());
        return ++state.turns;
    }

    /** The turn number the next full answer of a thread would get, without taking it. */
    synchronized long peekTurn(String threadKey) {
        ThreadState state = threads.get(threadKey);
        return state == null ? 1 : state.turns + 1;
    }

    /** Remembers the JSON texts sent as the answer of {@code requestId}, as written on the wire. */
    synchronized void recordSent(String requestId, List<String> chunks) {
        sent.put(requestId, List.copyOf(chunks));
    }

    synchronized Optional<List<String>> sent(String requestId) {
        return Optional.ofNullable(sent.get(requestId));
    }

    synchronized List<ReceivedCall> receivedOrder(String threadKey) {
        ThreadState state = threads.get(threadKey);
        return state == null ? List.of() : List.copyOf(state.order);
    }

    synchronized int peakConcurrency() {
        return peak;
    }

    synchronized SimulatorStats snapshot() {
        Map<String, SimulatorStats.ThreadStats> perThread = new HashMap<>();
        threads.forEach((key, s) -> perThread.put(
                key, new SimulatorStats.ThreadStats(s.turns, s.calls, s.current, s.peak, List.copyOf(s.order))));
        return new SimulatorStats(totalCalls, current, peak, byStatus, perThread, probes);
    }

    /** Forgets everything except calls in progress, which still count as current. */
    synchronized void reset() {
        counters.resetPeak();
        totalCalls = 0;
        probes = 0;
        peak = current;
        byStatus.clear();
        threads.values().removeIf(s -> s.current == 0);
        threads.values().forEach(s -> {
            s.turns = 0;
            s.calls = 0;
            s.peak = s.current;
            s.order.clear();
        });
        attempts.clear();
        sent.clear();
    }

    private synchronized void threadStarted(String threadKey, ReceivedCall received) {
        ThreadState state = threads.computeIfAbsent(threadKey, k -> new ThreadState());
        state.calls++;
        state.current++;
        state.peak = Math.max(state.peak, state.current);
        if (state.order.size() == maxRecordedCalls) {
            state.order.removeFirst();
        }
        state.order.addLast(received);
    }

    private synchronized void finished(String threadKey, String outcome) {
        current--;
        byStatus.merge(outcome, 1L, Long::sum);
        if (threadKey != null) {
            ThreadState state = threads.get(threadKey);
            if (state != null && state.current > 0) {
                state.current--;
            }
        }
    }

    private static <V> LinkedHashMap<String, V> lru(int max, boolean accessOrder) {
        return new LinkedHashMap<>(16, 0.75f, accessOrder) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > max;
            }
        };
    }

    /** Mutable per-thread counters; guarded by the recorder's monitor. */
    private static final class ThreadState {
        long turns;
        long calls;
        int current;
        int peak;
        final ArrayDeque<ReceivedCall> order = new ArrayDeque<>();
    }

    /**
     * One call in progress. Its outcome may be set several times (the last wins); {@link #finish()} counts it once,
     * whatever thread calls it and however often.
     */
    static final class Call {
        private final StatsRecorder recorder;
        private final long start;
        private String threadKey;
        private String correlationId;
        private String outcome = "unfinished";
        private boolean finished;

        private Call(StatsRecorder recorder, long start) {
            this.recorder = recorder;
            this.start = start;
        }

        /** The call was valid and belongs to {@code threadKey}. */
        void joinThread(String threadKey, ReceivedCall received) {
            synchronized (recorder) {
                this.threadKey = threadKey;
                this.correlationId = received.correlationId();
                recorder.threadStarted(threadKey, received);
            }
        }

        void outcome(String outcome) {
            synchronized (recorder) {
                this.outcome = outcome;
            }
        }

        void finish() {
            String key;
            String id;
            String result;
            synchronized (recorder) {
                if (finished) {
                    return;
                }
                finished = true;
                recorder.finished(threadKey, outcome);
                key = threadKey;
                id = correlationId;
                result = outcome;
            }
            long end = recorder.counters.finished(start, result);
            if (recorder.timings.enabled()) {
                recorder.timings.add(new CallTiming(id, key, result, start, end));
            }
        }
    }
}
