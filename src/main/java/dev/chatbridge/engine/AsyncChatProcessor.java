package dev.chatbridge.engine;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.ChatApi;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The engine: accepts requests into the durable pending table and calls the API for them
 * asynchronously, at most one call per conversation thread and at most {@code maxInFlight} per
 * instance, forwarding each final outcome and deleting its entry in the same step.
 *
 * <p><b>Guarantees.</b> An accepted request is in the changelogged pending table; under
 * exactly-once its put commits with the consumed offset, and its outcome's forward commits with
 * its delete, so a commit never waits for a call and every committed request yields exactly one
 * committed outcome. Per thread, only the head entry is ever called, so calls and outcomes follow
 * input order. On {@code init()} every entry in the table is re-dispatched in thread order with
 * its stored attempt count; calls in flight at a crash are therefore sent again (the API sees a
 * call at least once). On {@code close()} in-flight calls are cancelled and their late
 * completions dropped; the next owner of the task re-dispatches them.
 *
 * <p><b>Threading.</b> Everything here is owned by the task's stream thread (init, process, the
 * wall-clock punctuator, close), except {@link #onOutcome}, which runs on the thread that
 * completes the call's {@code Mono} (a Netty thread, or a timer thread for the attempt timeout).
 * It touches only thread-safe objects: the call's {@link AtomicBoolean} (which decides once
 * between completion and cancellation), the shared limiter, pause and pending count, and the
 * task's {@link #events} queue. The stream thread alone drains that queue, forwards, and reads
 * or writes the store. {@link #events} holds at most one completion per call this task started
 * plus one wake-up per permit granted to it, so it is bounded by {@code maxInFlight} times two.
 */
final class AsyncChatProcessor implements Processor<String, ChatRequest, String, SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncChatProcessor.class);

    /** What the stream thread learns from other threads. */
    private sealed interface Event {}

    private record Completed(InFlightCall call, CallOutcome outcome, long completedAt) implements Event {}

    private enum Granted implements Event { PERMIT }

    /** One call in flight. The stream thread creates it; {@link #finish} decides once who ends it. */
    private static final class InFlightCall {
        final String thread;
        final Bytes key;
        final PendingEntry entry;
        final boolean probe;
        final BlockingQueue<Event> events;
        final PendingCount.Share share;
        final AtomicBoolean finished = new AtomicBoolean();
        final long startedNanos = System.nanoTime();
        volatile Disposable subscription;

        InFlightCall(String thread, Bytes key, PendingEntry entry, boolean probe, BlockingQueue<Event> events,
                PendingCount.Share share) {
            this.thread = thread;
            this.key = key;
            this.entry = entry;
            this.probe = probe;
            this.events = events;
            this.share = share;
        }

        boolean finish() {
            return finished.compareAndSet(false, true);
        }
    }

    private final EngineConfig config;
    private final String storeName;
    private final ChatApi api;
    private final EngineResources resources;
    private final Clock clock;
    private final RequestValidator validator;
    private final Serializer<ChatResponse> responseSerializer;
    private final String responsesTopic;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<Bytes, PendingEntry> store;
    private BlockingQueue<Event> events;
    private ThreadQueues queues;
    private Map<String, InFlightCall> inFlight;
    private Map<Bytes, Long> acceptedAtNanos;
    private InFlightLimiter.Waiter waiter;
    private PendingCount.Share share;
    private volatile boolean closed;
    private volatile String taskName = "?";

    AsyncChatProcessor(EngineConfig config, String storeName, ChatApi api, EngineResources resources, Clock clock,
            Topic<String, ChatResponse> responses) {
        this.config = config;
        this.storeName = storeName;
        this.api = api;
        this.resources = resources;
        this.clock = clock;
        this.validator = new RequestValidator(config.maxMessages(), config.maxTextBytes());
        this.responseSerializer = responses.valueSerde().serializer();
        this.responsesTopic = responses.name();
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.taskName = context.taskId().toString();
        this.store = context.getStateStore(storeName);
        this.events = new LinkedBlockingQueue<>();
        this.queues = new ThreadQueues();
        this.inFlight = new HashMap<>();
        this.acceptedAtNanos = new HashMap<>();
        this.closed = false;
        BlockingQueue<Event> mine = events;
        this.waiter = resources.limiter().register(context.taskId().toString(), () -> mine.offer(Granted.PERMIT));
        this.share = resources.pending().share();
        long now = clock.millis();
        try (KeyValueIterator<Bytes, PendingEntry> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                queues.append(PendingKey.threadKey(kv.key), PendingKey.sequence(kv.key), kv.value.notBefore(), now);
                share.add();
            }
        }
        if (queues.size() > 0) {
            LOG.info("Task {}: re-dispatching {} pending requests of {} threads from the pending table",
                    context.taskId(), queues.size(), queues.threads());
        }
        context.schedule(config.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> {
            resources.waitBudgetOfCurrentThread().reset();
            drainAndDispatch();
        });
        dispatch();
    }

    @Override
    public void process(Record<String, ChatRequest> record) {
        drainAndDispatch();
        ChatRequest request = record.value();
        long now = clock.millis();
        Optional<String> problem = validator.problem(request);
        if (problem.isPresent()) {
            forward(record.key(), Outcomes.deadLetter(request, DeadLetterReason.INVALID_REQUEST, null, null, null,
                    "request refused before any call: " + problem.get(), 0, clock.instant()));
            return;
        }
        long offset = context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a request record without an offset"))
                .offset();
        Bytes key = PendingKey.of(record.key(), offset);
        if (store.get(key) != null) {
            RequestMdc.run(request, () -> LOG.debug("Task {}: request at offset {} is already pending (re-processed input)",
                    taskName, offset));
            return;
        }
        if (resources.pending().get() >= config.maxPending()) {
            waitForRoom();
        }
        store.put(key, PendingEntry.accepted(request));
        acceptedAtNanos.put(key, System.nanoTime());
        share.add();
        queues.append(record.key(), offset, PendingEntry.NONE, now);
        dispatch();
    }

    @Override
    public void close() {
        closed = true;
        if (waiter == null) {
            return; // never initialised
        }
        for (InFlightCall call : inFlight.values()) {
            if (call.finish()) {
                Disposable subscription = call.subscription;
                if (subscription != null) {
                    subscription.dispose();
                }
                resources.limiter().release();
                if (call.probe) {
                    resources.pause().probeEnded();
                }
            }
        }
        if (!inFlight.isEmpty()) {
            LOG.info("Task {}: cancelled {} calls in flight; the next owner re-dispatches them", context.taskId(),
                    inFlight.size());
        }
        inFlight.clear();
        acceptedAtNanos.clear();
        resources.limiter().unregister(waiter);
        share.withdrawAll();
        List<Event> dropped = new ArrayList<>();
        events.drainTo(dropped);
        resources.completionsHandled((int) dropped.stream().filter(e -> e instanceof Completed).count());
    }

    /**
     * Waits until the instance has room for one more pending request, at most as long as the
     * thread's {@link WaitBudget} allows, meanwhile handling this task's completions and
     * dispatching its ready requests. Depends on nothing that only another task could do.
     */
    private void waitForRoom() {
        WaitBudget budget = resources.waitBudgetOfCurrentThread();
        long start = System.nanoTime();
        long pollNanos = config.drainInterval().toNanos();
        try {
            while (resources.pending().get() >= config.maxPending()) {
                long remaining = budget.remainingNanos() - (System.nanoTime() - start);
                if (remaining <= 0) {
                    LOG.debug("Task {}: backpressure wait budget spent; accepting beyond {}={}", context.taskId(),
                            EngineConfig.KEY_MAX_PENDING, config.maxPending());
                    return;
                }
                Event event = events.poll(Math.min(remaining, pollNanos), TimeUnit.NANOSECONDS);
                if (event != null) {
                    handle(event);
                }
                drainAndDispatch();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Task {}: interrupted while waiting for room; accepting the record", context.taskId());
        } finally {
            budget.spend(System.nanoTime() - start);
        }
    }

    private void drainAndDispatch() {
        Event event;
        while ((event = events.poll()) != null) {
            handle(event);
        }
        dispatch();
    }

    /** Starts calls for ready thread heads while the pause and the limiter allow. */
    private void dispatch() {
        queues.promoteDue(clock.millis());
        boolean gateClosed = false;
        while (queues.hasReady()) {
            OperatorPause.Gate gate = resources.pause().gate();
            if (gate == OperatorPause.Gate.CLOSED) {
                gateClosed = true;
                break;
            }
            if (!resources.limiter().tryAcquire(waiter)) {
                if (gate == OperatorPause.Gate.PROBE) {
                    resources.pause().probeEnded();
                }
                break;
            }
            start(queues.pollReady(), gate == OperatorPause.Gate.PROBE);
        }
        if (gateClosed || !queues.hasReady()) {
            resources.limiter().returnGrants(waiter);
        }
    }

    private void start(String thread, boolean probe) {
        Bytes key = PendingKey.of(thread, queues.head(thread));
        PendingEntry stored = store.get(key);
        if (stored == null) {
            resources.limiter().release();
            throw new IllegalStateException("pending index and pending table disagree at task " + context.taskId());
        }
        long now = clock.millis();
        PendingEntry entry = stored.firstAttemptAt() == PendingEntry.NONE
                ? new PendingEntry(stored.request(), stored.attempts(), now, PendingEntry.NONE)
                : stored;
        InFlightCall call = new InFlightCall(thread, key, entry, probe, events, share);
        inFlight.put(thread, call);
        Long acceptedAt = acceptedAtNanos.remove(key);
        resources.metrics().callStarted(acceptedAt == null ? null : Duration.ofNanos(call.startedNanos - acceptedAt));
        Duration timeout = config.attemptTimeout();
        call.subscription = Mono.defer(() -> api.call(entry.request()))
                .timeout(timeout, Mono.fromSupplier(() -> new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT, null, null, null,
                        "no outcome within " + EngineConfig.KEY_ATTEMPT_TIMEOUT + "=" + timeout.toMillis() + "; call cancelled")))
                .switchIfEmpty(Mono.fromSupplier(() -> new CallOutcome.RetriableFailure(null, null, null,
                        "the API client completed without an outcome")))
                .onErrorResume(e -> {
                    RequestMdc.run(entry.request(), () -> LOG.error(
                            "Task {}: the API client failed instead of returning an outcome (a bug); retrying the call",
                            taskName, e));
                    return Mono.just(new CallOutcome.RetriableFailure(null, null, null,
                            "API client error: " + e.getClass().getName()));
                })
                .subscribe(outcome -> onOutcome(call, outcome));
    }

    /** Runs on the thread that completes the call. Frees the permit now, not when the outcome is forwarded. */
    private void onOutcome(InFlightCall call, CallOutcome outcome) {
        if (!call.finish()) {
            return;
        }
        // Counted as waiting to be forwarded before the permit goes back, so that a graceful
        // shutdown never sees "nothing in flight and nothing to forward" while this one is between.
        resources.completionQueued();
        resources.limiter().release();
        resources.metrics().callEnded(outcome, Duration.ofNanos(System.nanoTime() - call.startedNanos));
        if (outcome instanceof CallOutcome.OperatorFailure failure) {
            resources.pause().onOperatorFailure(failure.httpStatus(), failure.message(), call.probe);
        } else {
            resources.pause().onAccepted(call.probe);
        }
        if (outcome instanceof CallOutcome.Success || outcome instanceof CallOutcome.PermanentFailure) {
            call.share.withdrawOne();
        }
        Completed completed = new Completed(call, outcome, clock.millis());
        call.events.offer(completed);
        if (closed && call.events.remove(completed)) {
            // The task closed while this completed; close() may already have drained the queue,
            // so whoever takes the event off the queue counts it as handled (dropped).
            resources.completionsHandled(1);
        }
    }

    private void handle(Event event) {
        if (!(event instanceof Completed completed)) {
            return;
        }
        resources.completionsHandled(1);
        if (closed) {
            return;
        }
        InFlightCall call = completed.call();
        if (inFlight.get(call.thread) != call) {
            return;
        }
        inFlight.remove(call.thread);
        PendingEntry entry = call.entry;
        ChatRequest request = entry.request();
        int attempts = entry.attempts() + 1;
        long now = completed.completedAt();
        CallOutcome outcome = completed.outcome();
        if (outcome instanceof CallOutcome.Success s) {
            ChatResponse response = Outcomes.response(request, s.answer(), attempts, now - entry.firstAttemptAt(),
                    Instant.ofEpochMilli(now));
            int size = responseSerializer.serialize(responsesTopic, response).length;
            finish(call, size > config.maxResponseBytes()
                    ? Outcomes.tooLarge(request, response, size, config.maxResponseBytes(), clock.instant())
                    : response);
        } else if (outcome instanceof CallOutcome.PermanentFailure p) {
            finish(call, Outcomes.deadLetter(request, p.reason(), p.httpStatus(), p.problem(), p.excerpt(),
                    p.message(), attempts, clock.instant()));
        } else if (outcome instanceof CallOutcome.RetriableFailure r) {
            retryOrGiveUp(call, r, attempts, now);
        } else {
            // OperatorFailure: the deployment, not the request, is at fault; the entry stays and waits for the pause.
            queues.requeueHead(call.thread);
        }
    }

    private void retryOrGiveUp(InFlightCall call, CallOutcome.RetriableFailure failure, int attempts, long now) {
        PendingEntry entry = call.entry;
        Duration elapsed = Duration.ofMillis(Math.max(0, now - entry.firstAttemptAt()));
        Optional<Duration> delay = config.retryPolicy().nextDelay(attempts, elapsed, failure.retryAfter());
        if (delay.isPresent()) {
            long notBefore = now + delay.get().toMillis();
            store.put(call.key, new PendingEntry(entry.request(), attempts, entry.firstAttemptAt(), notBefore));
            resources.metrics().retryScheduled(failure);
            RequestMdc.run(entry.request(), () -> LOG.debug("Task {}: attempt {} failed, retrying in {} ms: {}",
                    taskName, attempts, delay.get().toMillis(), failure.message()));
            queues.retryHead(call.thread, notBefore, clock.millis());
            return;
        }
        share.withdrawOne();
        finish(call, Outcomes.deadLetter(entry.request(), DeadLetterReason.RETRIES_EXHAUSTED, failure.httpStatus(),
                null, failure.excerpt(), "gave up after " + attempts + " attempts in " + elapsed.toMillis()
                        + " ms; last failure: " + failure.message(), attempts, clock.instant()));
    }

    /** Forwards the final outcome and deletes the entry in the same step (one transaction under exactly-once). */
    private void finish(InFlightCall call, SpecificRecord outcome) {
        forward(call.thread, outcome);
        store.delete(call.key);
        queues.removeHead(call.thread, clock.millis());
        if (outcome instanceof ChatDeadLetter dl) {
            RequestMdc.run(call.entry.request(), () -> LOG.debug("Task {}: request {} dead-lettered: {}",
                    taskName, dl.getRequestId(), dl.getReason()));
        }
    }

    private void forward(String threadKey, SpecificRecord outcome) {
        context.forward(new Record<>(threadKey, outcome, clock.millis()));
        if (outcome instanceof ChatDeadLetter dl) {
            resources.metrics().deadLettered(dl.getReason());
        } else {
            resources.metrics().responded();
        }
    }
}
