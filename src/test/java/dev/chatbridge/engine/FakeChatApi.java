package dev.chatbridge.engine;

import static org.awaitility.Awaitility.await;

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
 * that request): it completes on the fake's own timer threads, like Netty would, after the scripted latency; or it is
 * held until the test releases it ({@link #release}, {@link #releaseOldest}, {@link #releaseHeld}), so a test that
 * cares about the order in which calls finish decides that order itself instead of relying on latencies. It records
 * every call, the calls held now, the peak of concurrent calls, and any moment two calls of one conversation
 * overlapped.
 *
 * <p>Threading: calls arrive on the stream thread or a Reactor worker; completions and cancellations happen on timer
 * threads or the caller of a release method; all state is concurrent.
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
    private final Set<String> conversationsInFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> attemptsByRequest = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> callThreads = new CopyOnWriteArrayList<>();
    private final List<Held> held = new CopyOnWriteArrayList<>();

    /** A call waiting for the test to release it. */
    private record Held(String requestId, Runnable complete) {}

    FakeChatApi(BiFunction<ChatRequest, Integer, Behaviour> script) {
        this.script = script;
    }

    /** Answers every call with a success echoing the request id, after the latency. */
    static FakeChatApi echo(Duration latency) {
        return new FakeChatApi((r, attempt) -> Behaviour.answer(success("answer to " + r.getRequestId()), latency));
    }

    /** Holds every call until the test releases it, then answers with a success echoing the request id. */
    static FakeChatApi holding() {
        return new FakeChatApi((r, attempt) -> Behaviour.hold(success("answer to " + r.getRequestId())));
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
            String conversation = request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
            int attempt = attemptsByRequest
                    .computeIfAbsent(request.getRequestId(), k -> new AtomicInteger())
                    .incrementAndGet();
            calls.add(request.getRequestId());
            callThreads.add(Thread.currentThread().getName());
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            if (!conversationsInFlight.add(conversation)) {
                overlaps.incrementAndGet();
            }
            Behaviour behaviour = script.apply(request, attempt);
            AtomicBoolean done = new AtomicBoolean();
            Held[] holding = new Held[1];
            Runnable end = () -> {
                if (holding[0] != null) {
                    held.remove(holding[0]);
                }
                conversationsInFlight.remove(conversation);
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
                holding[0] = new Held(request.getRequestId(), complete);
                held.add(holding[0]);
            } else {
                timer.schedule(complete, behaviour.latency().toNanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    /** Completes every call held now, oldest first, from the calling thread. */
    void releaseHeld() {
        List.copyOf(held).forEach(h -> h.complete().run());
    }

    /**
     * Completes the held call of {@code requestId} now, from the calling thread (which runs the engine's completion,
     * and any call that completion starts, before this returns).
     *
     * @throws IllegalStateException if no call of that request is held
     */
    void release(String requestId) {
        Held h = held.stream()
                .filter(c -> c.requestId().equals(requestId))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no held call of " + requestId + "; held: " + held()));
        h.complete().run();
    }

    /** Completes the oldest held call now, from the calling thread, and returns its request id. */
    String releaseOldest() {
        String oldest = held().stream().findFirst().orElseThrow(() -> new IllegalStateException("no call is held"));
        release(oldest);
        return oldest;
    }

    /** Request ids of the calls held now (made, neither released nor cancelled), oldest first. */
    List<String> held() {
        return held.stream().map(Held::requestId).toList();
    }

    /** Waits (bounded) until at least {@code n} calls are held; for calls made on other threads. */
    void awaitHeld(int n) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(1))
                .until(() -> held.size() >= n);
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

    /** The names of the JVM threads that made each call, in the order of {@link #calls()}. */
    List<String> callThreads() {
        return List.copyOf(callThreads);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
