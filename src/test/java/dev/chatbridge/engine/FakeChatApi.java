package dev.chatbridge.engine;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.ChatAnswer;
import dev.chatbridge.api.ChatApi;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.events.ChatRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;

/**
 * In-process fake of the API for unit tests. Each call's behaviour comes from a script (request and attempt number of
 * that request), and completes on the fake's own timer threads, like Netty would, after the scripted latency, or only
 * when {@link #releaseHeld} is called. It records every call, the peak of concurrent calls, and any moment two calls of
 * one thread overlapped.
 *
 * <p>Threading: calls arrive on the stream thread; completions and cancellations happen on timer threads or the caller
 * of {@link #releaseHeld}; all state is concurrent.
 */
final class FakeChatApi implements ChatApi, AutoCloseable {

    /** What one call does. */
    record Behaviour(CallOutcome outcome, Duration latency, boolean held) {
        static Behaviour answer(CallOutcome outcome, Duration latency) {
            return new Behaviour(outcome, latency, false);
        }

        static Behaviour hold(CallOutcome outcome) {
            return new Behaviour(outcome, Duration.ZERO, true);
        }
    }

    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "fake-api");
        t.setDaemon(true);
        return t;
    });
    private volatile BiFunction<ChatRequest, Integer, Behaviour> script;
    private volatile KeyCheck.Verdict keyVerdict = KeyCheck.Verdict.ACCEPTED;
    private final AtomicInteger keyChecks = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger cancellations = new AtomicInteger();
    private final Set<String> threadsInFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> attemptsByRequest = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> callThreads = new CopyOnWriteArrayList<>();
    private final List<Runnable> held = new CopyOnWriteArrayList<>();

    FakeChatApi(BiFunction<ChatRequest, Integer, Behaviour> script) {
        this.script = script;
    }

    /** Answers every call with a success echoing the request id, after the latency. */
    static FakeChatApi echo(Duration latency) {
        return new FakeChatApi((r, attempt) -> Behaviour.answer(success("answer to " + r.getRequestId()), latency));
    }

    static CallOutcome success(String text) {
        return new CallOutcome.Success(new ChatAnswer(text, List.of(), List.of(), List.of("s1"), List.of(), "api-1"));
    }

    void script(BiFunction<ChatRequest, Integer, Behaviour> newScript) {
        this.script = newScript;
    }

    /** What key checks find from now on (accepted by default); each check completes on a timer thread. */
    void keyChecks(KeyCheck.Verdict verdict) {
        this.keyVerdict = verdict;
    }

    /** Key checks made so far. */
    int keyChecksMade() {
        return keyChecks.get();
    }

    @Override
    public Mono<KeyCheck> checkKey() {
        keyChecks.incrementAndGet();
        KeyCheck.Verdict verdict = keyVerdict;
        KeyCheck check = verdict == KeyCheck.Verdict.ACCEPTED
                ? KeyCheck.accepted(400)
                : new KeyCheck(verdict, verdict == KeyCheck.Verdict.REFUSED ? 401 : null, "fake key check: " + verdict);
        return Mono.delay(Duration.ofMillis(1)).map(tick -> check);
    }

    @Override
    public Mono<CallOutcome> call(ChatRequest request) {
        return Mono.create(sink -> {
            String thread = request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
            int attempt = attemptsByRequest
                    .computeIfAbsent(request.getRequestId(), k -> new AtomicInteger())
                    .incrementAndGet();
            calls.add(request.getRequestId());
            callThreads.add(Thread.currentThread().getName());
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            if (!threadsInFlight.add(thread)) {
                overlaps.incrementAndGet();
            }
            Behaviour behaviour = script.apply(request, attempt);
            AtomicBoolean done = new AtomicBoolean();
            Runnable end = () -> {
                threadsInFlight.remove(thread);
                inFlight.decrementAndGet();
            };
            Runnable complete = () -> {
                if (done.compareAndSet(false, true)) {
                    end.run();
                    sink.success(behaviour.outcome());
                }
            };
            sink.onCancel(() -> {
                if (done.compareAndSet(false, true)) {
                    end.run();
                    cancellations.incrementAndGet();
                }
            });
            if (behaviour.held()) {
                held.add(complete);
            } else {
                timer.schedule(complete, behaviour.latency().toNanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    /** Completes every held call now, from the calling thread. */
    void releaseHeld() {
        List<Runnable> now = List.copyOf(held);
        held.removeAll(now);
        now.forEach(Runnable::run);
    }

    int inFlight() {
        return inFlight.get();
    }

    int peak() {
        return peak.get();
    }

    int overlaps() {
        return overlaps.get();
    }

    int cancellations() {
        return cancellations.get();
    }

    /** Request ids in the order they were called (one entry per attempt). */
    List<String> calls() {
        return List.copyOf(calls);
    }

    /** The names of the threads that made each call, in the order of {@link #calls()}. */
    List<String> callThreads() {
        return List.copyOf(callThreads);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
