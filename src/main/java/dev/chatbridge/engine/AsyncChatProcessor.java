package dev.chatbridge.engine;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.ChatApi;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.policy.ProducerIdentity;
import dev.chatbridge.policy.RequestPolicy;
import dev.chatbridge.serde.SerdeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The engine: accepts requests into the durable pending table and calls the API for them asynchronously, at most one
 * call per conversation and at most {@code maxInFlight} per instance, forwarding each final outcome and deleting its
 * entry in the same step.
 *
 * <p><b>Guarantees.</b> An accepted request is in the changelogged pending table; under exactly-once its put commits
 * with the consumed offset, and its outcome's forward commits with its delete, so a commit never waits for a call and
 * every committed request yields exactly one committed outcome. Per conversation, only the head entry is ever handled,
 * so calls and outcomes follow input order; a request refused before any call also waits for its conversation's earlier
 * entries, so its dead letter never overtakes them. On {@code init()} every entry in the table is re-dispatched in
 * conversation order with its stored attempt count; calls in flight at a crash are therefore sent again (the API sees a
 * call at least once). On {@code close()} in-flight calls are cancelled and their late completions dropped; the next
 * owner of the task re-dispatches them.
 *
 * <p><b>Replays.</b> The table also holds the task's high-water mark: the highest input offset accepted. A record at or
 * below it was accepted before (its outcome may be published already: at-least-once replays input after a crash), so it
 * is skipped. A topic deleted and created again starts its offsets afresh: when the {@link TopicIdentity} tells a new
 * id for the source topic, the mark is reset.
 *
 * <p><b>Registry trouble waits.</b> Nothing here stops because the schema registry cannot be asked: input that could
 * not be decoded for that reason is parked in the table, in input order, and every later record of the task waits
 * behind it (also parked) until the registry answers; a pending request that cannot be read waits; an outcome that
 * cannot be serialized is kept and written later. Each of these retries after a backoff that doubles up to
 * {@value #REGISTRY_RETRY_MAX_MS} ms, and {@link RegistryWait} turns readiness false meanwhile.
 *
 * <p><b>Sizes.</b> Every outcome is serialized here once, by {@link OutcomeWriter}, within
 * {@code chat.response.max.bytes}; entries keep the input's bytes only when they are within
 * {@code chat.request.max.bytes}, so no record written for a request (changelog, outputs) can exceed what the producer
 * accepts.
 *
 * <p><b>Threading.</b> Everything here is owned by the task's stream thread (init, process, the wall-clock punctuator,
 * close), except {@link #onOutcome}, which runs on the thread that completes the call's {@code Mono} (a Netty thread,
 * or a timer thread for the attempt timeout). It touches only thread-safe objects: the call's {@link AtomicBoolean}
 * (which decides once between completion and cancellation), the shared limiter, pause and pending count, and the task's
 * {@link #events} queue. The stream thread alone drains that queue, forwards, and reads or writes the store.
 * {@link #events} holds at most one completion per call this task started plus one wake-up per permit granted to it, so
 * it is bounded by {@code maxInFlight} times two.
 */
final class AsyncChatProcessor implements Processor<String, Decoded, String, OutcomeWriter.Written> {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncChatProcessor.class);

    /**
     * Pseudo-conversation of input parked while the registry could not be asked (real conversation keys have no control
     * characters).
     */
    static final String PARKED = "\u0000parked";
    /** Pseudo-conversation of dead letters that belong to no conversation and wait to be written. */
    static final String LOOSE = "\u0000loose";

    static final long REGISTRY_RETRY_MIN_MS = 100;
    static final long REGISTRY_RETRY_MAX_MS = 5_000;
    /** Largest input key kept in an entry or dead letter; larger keys are reported by size only. */
    static final int MAX_KEPT_KEY_BYTES = 4 * 1024;

    /**
     * Shortest time between two commits this engine requests of one stream thread, and the commit interval above which
     * it requests them at all: under exactly-once the interval is 100 ms already, and extra transactions cost the
     * broker and the stream thread more than they save (measured with the benchmark); under at-least-once (30 s) a
     * conversation's next turn would otherwise wait that long.
     */
    static final long COMMIT_REQUEST_GAP_MS = 100;

    /** What the stream thread learns from other threads. */
    private sealed interface Event {}

    private record Completed(InFlightCall call, CallOutcome outcome, long completedAt) implements Event {}

    private enum Granted implements Event {
        PERMIT
    }

    /**
     * One life of this processor object, from {@code init()} to {@code close()}: Kafka Streams may close and initialise
     * the same object again, and a call of the previous life that completes late must find that life closed, not the
     * new one open.
     */
    private static final class Incarnation {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final AtomicBoolean closed = new AtomicBoolean();
    }

    private static final int PREPARED = 0;
    private static final int STARTED = 1;
    private static final int DONE = 2;

    /**
     * One call of a conversation's head: prepared by the stream thread (the request read and decoded), started by it
     * or, when armed, by whichever thread frees a permit for it; then ended exactly once, by its completion or by
     * cancellation ({@link #state} decides).
     */
    private final class InFlightCall implements InFlightLimiter.Armed {
        final String conversation;
        final Bytes key;
        /** The stored entry; its first attempt's start is set when the call starts (not when it is armed). */
        volatile PendingEntry entry;

        final ChatRequest request;
        final Incarnation incarnation;
        final PendingCount.Share share;
        final Long acceptedAtNanos;
        final AtomicInteger state = new AtomicInteger(PREPARED);
        volatile long startedNanos;
        volatile Disposable subscription;

        InFlightCall(
                String conversation,
                Bytes key,
                PendingEntry entry,
                ChatRequest request,
                Incarnation incarnation,
                PendingCount.Share share,
                Long acceptedAtNanos) {
            this.conversation = conversation;
            this.key = key;
            this.entry = entry;
            this.request = request;
            this.incarnation = incarnation;
            this.share = share;
            this.acceptedAtNanos = acceptedAtNanos;
        }

        /** Starts the armed call on the thread that freed its permit (a Netty thread, usually). */
        @Override
        public boolean fire() {
            if (!state.compareAndSet(PREPARED, STARTED)) {
                return false;
            }
            launch(this, false);
            return true;
        }

        /**
         * Starts the call from the stream thread, which only records the start: building the HTTP request and acquiring
         * a connection run on a Reactor worker, off the thread that accepts input and forwards outcomes for the whole
         * task.
         */
        void start() {
            if (state.compareAndSet(PREPARED, STARTED)) {
                launch(this, true);
            }
        }

        /** The call ended (completion or cancellation of a started call); true for the one who ends it. */
        boolean finish() {
            return state.compareAndSet(STARTED, DONE);
        }

        /** Drops a call that was never started; true when it had not started. */
        boolean cancelUnstarted() {
            return state.compareAndSet(PREPARED, DONE);
        }
    }

    private final EngineConfig config;
    private final String storeName;
    private final ChatApi api;
    private final EngineResources resources;
    private final Clock clock;
    private final RequestValidator validator;
    private final OutcomeWriter writer;
    private final Deserializer<ChatRequest> requests;
    private final boolean rekeyed;
    private final RateLimitedLog replayLog = new RateLimitedLog(10, TimeUnit.SECONDS);
    private final RateLimitedLog registryLog = new RateLimitedLog(10, TimeUnit.SECONDS);
    private final RateLimitedLog refusalLog = new RateLimitedLog(10, TimeUnit.SECONDS);

    private ProcessorContext<String, OutcomeWriter.Written> context;
    private KeyValueStore<Bytes, byte[]> store;
    private Incarnation incarnation;
    private CommitClock.ThreadCommits commits;
    private final Runnable onCommit = this::committed;
    /**
     * Conversations whose last call's outcome waits for a commit before their next entry may go: (conversation, commit
     * needed).
     */
    private ArrayDeque<Awaiting> awaiting;
    /** The same conversations, for lookup: an entry accepted for one of them waits too, even if it arrives later. */
    private Map<String, Long> awaitingCommit;

    private ConversationQueues queues;
    private Map<String, InFlightCall> inFlight;
    private Map<Bytes, Long> acceptedAtNanos;
    private ArrayDeque<Completed> unwritten;
    private InFlightLimiter.Waiter waiter;
    private PendingCount.Share share;
    private Cancellable punctuator;
    private String sourceTopic;
    private HighWaterMark highWaterMark;
    private long registryBackoffMs = REGISTRY_RETRY_MIN_MS;
    private long registryRetryAt;
    private volatile String taskName = "?";
    private int partition;
    private long commitIntervalMs;

    private record Awaiting(String conversation, long commit) {}

    /**
     * The request this {@code process()} call just accepted, checked and decoded: when it is dispatched in the same
     * call (the usual case), it is not read back from the table and decoded again.
     */
    private record Admitted(Bytes key, PendingEntry entry, ChatRequest request) {}

    private Admitted justAdmitted;

    AsyncChatProcessor(
            EngineConfig config, String storeName, ChatApi api, EngineResources resources, Clock clock, Topics topics) {
        this.config = config;
        this.storeName = storeName;
        this.api = api;
        this.resources = resources;
        this.clock = clock;
        this.validator = new RequestValidator(config);
        this.writer = new OutcomeWriter(
                topics.responses(), topics.deadLetters(), config.maxResponseBytes(), resources::outputLimit);
        this.requests = topics.requests().valueSerde().deserializer();
        this.rekeyed = config.inputKeying() == EngineConfig.InputKeying.REKEY;
    }

    @Override
    public void init(ProcessorContext<String, OutcomeWriter.Written> context) {
        this.context = context;
        this.taskName = context.taskId().toString();
        this.store = context.getStateStore(storeName);
        this.incarnation = new Incarnation();
        this.commitIntervalMs = commitInterval(context.appConfigs());
        this.queues = new ConversationQueues();
        this.inFlight = new HashMap<>();
        this.acceptedAtNanos = new HashMap<>();
        this.unwritten = new ArrayDeque<>();
        this.awaiting = new ArrayDeque<>();
        this.awaitingCommit = new HashMap<>();
        this.highWaterMark = new HighWaterMark();
        this.sourceTopic = rekeyed
                ? context.applicationId() + "-" + ChatBridgeTopology.REPARTITION_NAME + "-repartition"
                : config.requestsTopic();
        BlockingQueue<Event> mine = incarnation.events;
        this.waiter = resources.limiter().register(taskName, () -> mine.offer(Granted.PERMIT));
        this.share = resources.pending().share();
        this.partition = context.taskId().partition();
        try {
            resources.flow().taskOpened(sourceTopic, partition);
            bindCommits();
            load();
            // No dispatch here: handling a local entry forwards, which Kafka Streams refuses during
            // init(); the first punctuation (chat.drain.interval.ms) or record starts the work.
            if (hasWork()) {
                schedulePunctuator();
            }
        } catch (RuntimeException | Error e) {
            // Kafka Streams does not call close() after a failed init(): give back what init() took.
            release();
            throw e;
        }
    }

    /**
     * Kafka Streams' commit interval as it applies it: the setting, else 100 ms under exactly-once and 30 s otherwise.
     */
    static long commitInterval(Map<String, Object> appConfigs) {
        Object set = appConfigs.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        if (set != null) {
            return Long.parseLong(set.toString().trim());
        }
        Object guarantee = appConfigs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        return StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee == null ? null : guarantee.toString()) ? 100L : 30_000L;
    }

    /**
     * The drain punctuator runs only while the task has work (entries pending, calls in flight, outcomes to write,
     * conversations waiting for a commit), so an idle task costs no punctuation and, as a punctuation marks its task
     * for commit, no transaction.
     */
    private void schedulePunctuator() {
        if (punctuator == null) {
            punctuator = context.schedule(config.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> {
                resources.waitBudgetOfCurrentThread().reset();
                drainAndDispatch();
                if (!hasWork()) {
                    cancelPunctuator();
                }
            });
        }
    }

    private void cancelPunctuator() {
        if (punctuator != null) {
            punctuator.cancel();
            punctuator = null;
        }
    }

    private boolean hasWork() {
        return queues.size() > 0
                || !inFlight.isEmpty()
                || !unwritten.isEmpty()
                || !awaiting.isEmpty()
                || !incarnation.events.isEmpty();
    }

    /**
     * Listens to the commits of the stream thread running this task (looked up again on each visit, in case
     * {@code init()} ran on another thread).
     */
    private void bindCommits() {
        CommitClock.ThreadCommits current = resources.commitClock().ofCurrentThread();
        if (current != commits) {
            if (commits != null) {
                commits.unlisten(onCommit);
            }
            commits = current;
            commits.listen(onCommit);
        }
    }

    /** Rebuilds the in-memory index from the table, reading only each entry's header. */
    private void load() {
        long now = clock.millis();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                if (kv.key.equals(HighWaterMark.KEY)) {
                    highWaterMark.load(kv.value);
                    continue;
                }
                PendingEntry.Header header = PendingEntry.header(kv.value);
                queues.append(
                        PendingKey.conversationKey(kv.key),
                        PendingKey.sequence(kv.key),
                        header.notBefore(),
                        now,
                        header.kind().isLocal());
                share.add();
            }
        }
        long mark = highWaterMark.offset();
        Optional<String> id = resources.topicIds().idOf(sourceTopic);
        highWaterMark
                .checkTopic(id)
                .ifPresent(old -> LOG.warn(
                        "Task {}: topic {} was deleted and created again "
                                + "(its id changed from {} to {}), so its offsets start afresh: the high-water mark {} is reset. The "
                                + "{} entries still pending are kept and answered.",
                        taskName,
                        sourceTopic,
                        old,
                        id.orElseThrow(),
                        mark,
                        queues.size()));
        if (queues.size() > 0) {
            LOG.info(
                    "Task {}: re-dispatching {} pending entries of {} conversations from the pending table",
                    taskName,
                    queues.size(),
                    queues.conversations());
        }
    }

    @Override
    public void process(Record<String, Decoded> record) {
        bindCommits();
        drainAndDispatch();
        RecordMetadata source = context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a request record without an offset"));
        long offset = source.offset();
        if (highWaterMark.covers(offset)) {
            resources.metrics().replaySkipped();
            long heldBack = replayLog.tryAcquire();
            if (heldBack >= 0) {
                LOG.info(
                        "Task {}: skipped input at offset {} (and {} more since the last such line): at or below "
                                + "the high-water mark {} of accepted input, so it was accepted before (a replay after a "
                                + "crash). If {} was deleted and created again while this state was kept, reset the "
                                + "application (streams reset tool) instead.",
                        taskName,
                        offset,
                        heldBack,
                        highWaterMark.offset(),
                        sourceTopic);
            }
            return;
        }
        highWaterMark.advance(offset, store);
        Decoded decoded = record.value();
        InputFacts input = InputFacts.of(source.partition(), offset, decoded.rawKey(), decoded.value());
        RequestPolicy policy = resources.policy();
        if (policy.tokensRequired()) {
            // The token is checked as the record is read (its expiry too); the entry keeps the identity.
            input = input.withProducer(
                    policy.identify(record.headers(), clock.instant()).toStored());
        }
        if (resources.pending().get() >= config.maxPending()) {
            waitForRoom();
        }
        if (queues.has(PARKED)) {
            behindParked(decoded, input);
        } else {
            admit(decoded, input);
        }
        try {
            dispatch();
        } finally {
            justAdmitted = null; // valid only within this process() call
        }
        if (hasWork()) {
            schedulePunctuator();
        }
    }

    /** Takes one input record (new, or un-parked) into the table, or publishes its dead letter. */
    private void admit(Decoded decoded, InputFacts input) {
        long now = clock.millis();
        if (decoded instanceof Decoded.Parked parked) {
            park(parked.rawKey(), parked.value(), input, null, null);
        } else if (decoded instanceof Decoded.Undecodable u) {
            emitOrKeep(
                    LOOSE,
                    local(PendingEntry.Kind.UNDECODABLE, input, u.problem(), null, null, u.rawKey(), u.value()),
                    now);
        } else if (decoded instanceof Decoded.Refused r) {
            emitOrKeep(LOOSE, local(PendingEntry.Kind.REFUSED, input, r.problem(), null, null, null, r.value()), now);
        } else {
            Decoded.Valid v = (Decoded.Valid) decoded;
            ChatRequest request = v.request();
            String conversation = RequestValidator.conversationKey(request);
            Optional<String> problem = validator.problem(request, v.value().length);
            String denial = problem.isPresent() ? null : denial(request, input);
            if (problem.isPresent() || denial != null) {
                PendingEntry entry = local(
                        denial != null ? PendingEntry.Kind.DENIED : PendingEntry.Kind.REFUSED,
                        input,
                        denial != null ? denial : problem.get(),
                        request.getRequestId(),
                        request.getThreadId(),
                        null,
                        v.value());
                if (queues.has(conversation)) {
                    keep(conversation, entry, now); // waits for the conversation's earlier entries
                } else {
                    emitOrKeep(conversation, entry, now);
                }
                return;
            }
            PendingEntry entry = PendingEntry.request(input, v.value());
            Bytes key = keep(conversation, entry, now);
            acceptedAtNanos.put(key, System.nanoTime());
            justAdmitted = new Admitted(key, entry, request);
        }
    }

    /** Why the request policy denies the request, or null; never throws. */
    private String denial(ChatRequest request, InputFacts input) {
        RequestPolicy policy = resources.policy();
        if (policy.permitsAll()) {
            return null;
        }
        return policy.denial(request, ProducerIdentity.fromStored(input.producer()));
    }

    /** While input is parked, every later record waits behind it, so no conversation's order can change. */
    private void behindParked(Decoded decoded, InputFacts input) {
        if (decoded instanceof Decoded.Parked parked) {
            park(parked.rawKey(), parked.value(), input, null, null);
        } else if (decoded instanceof Decoded.Valid v) {
            park(
                    v.rawKey(),
                    v.value(),
                    input,
                    v.request().getRequestId(),
                    v.request().getThreadId());
        } else {
            admit(decoded, input); // belongs to no conversation: nothing to keep in order with
        }
    }

    /** Keeps input to decode when the registry answers, at the end of the parked queue. */
    private void park(byte[] rawKey, byte[] value, InputFacts input, String requestId, String threadId) {
        long now = clock.millis();
        if (value.length > config.maxRequestBytes()) {
            // Too large to keep: only its dead letter waits, in the same place.
            keep(
                    PARKED,
                    local(
                            PendingEntry.Kind.REFUSED,
                            input,
                            "the request record is " + value.length + " bytes, more than "
                                    + EngineConfig.KEY_MAX_REQUEST_BYTES + "=" + config.maxRequestBytes(),
                            requestId,
                            threadId,
                            null,
                            value),
                    now);
        } else {
            keep(
                    PARKED,
                    new PendingEntry(
                            PendingEntry.Kind.PARKED,
                            0,
                            PendingEntry.NONE,
                            PendingEntry.NONE,
                            input,
                            null,
                            null,
                            null,
                            keptKey(rawKey),
                            value),
                    now);
        }
        if (requestId == null) {
            registryUnavailable("decode", null);
        }
    }

    /** An entry handled on the stream thread; keeps the value and key only within their budgets. */
    private PendingEntry local(
            PendingEntry.Kind kind,
            InputFacts input,
            String note,
            String requestId,
            String threadId,
            byte[] rawKey,
            byte[] value) {
        boolean keepValue = value != null && value.length <= config.maxRequestBytes();
        InputFacts facts = keepValue ? input : input.withHashOf(value);
        return new PendingEntry(
                kind,
                0,
                PendingEntry.NONE,
                PendingEntry.NONE,
                facts,
                OutcomeWriter.cut(note),
                validId(requestId),
                validId(threadId),
                keptKey(rawKey),
                keepValue ? value : null);
    }

    private String validId(String id) {
        return id == null || id.length() > config.maxIdChars() ? null : id;
    }

    private static byte[] keptKey(byte[] rawKey) {
        return rawKey == null || rawKey.length > MAX_KEPT_KEY_BYTES ? null : rawKey;
    }

    private Bytes keep(String conversation, PendingEntry entry, long now) {
        Bytes key = PendingKey.of(conversation, entry.input().offset());
        store.put(key, entry.toBytes());
        share.add();
        queues.append(
                conversation,
                entry.input().offset(),
                entry.notBefore(),
                now,
                entry.kind().isLocal(),
                awaitingCommit.containsKey(conversation));
        return key;
    }

    /** Publishes a local entry's dead letter now if it can be written, else keeps the entry to try later. */
    private void emitOrKeep(String conversation, PendingEntry entry, long now) {
        try {
            OutcomeWriter.Written written = writer.deadLetter(letter(entry, null));
            registryAnswered();
            forward(keyOf(conversation, entry), written);
        } catch (OutcomeWriter.NotWritable e) {
            registryUnavailable("output", e.getMessage());
            keep(conversation, entry.withNotBefore(registryRetryAt), now);
        }
    }

    @Override
    public void close() {
        if (waiter == null) {
            return; // never initialised
        }
        incarnation.closed.set(true);
        for (InFlightCall call : inFlight.values()) {
            if (call.cancelUnstarted()) {
                continue; // prepared or armed, never started: no permit, no call
            }
            if (call.finish()) {
                Disposable subscription = call.subscription;
                if (subscription != null) {
                    subscription.dispose();
                }
                resources.limiter().release();
                audit(call, null, System.nanoTime());
            }
        }
        if (!inFlight.isEmpty()) {
            LOG.info(
                    "Task {}: cancelled {} calls in flight; the next owner re-dispatches them",
                    taskName,
                    inFlight.size());
        }
        inFlight.clear();
        acceptedAtNanos.clear();
        release();
    }

    /** Gives back what the task holds of the instance: its limiter place, pending share, queued completions. */
    private void release() {
        incarnation.closed.set(true);
        cancelPunctuator();
        if (commits != null) {
            commits.unlisten(onCommit);
        }
        awaiting.clear();
        awaitingCommit.clear();
        resources.limiter().unregister(waiter);
        resources.flow().taskClosed(sourceTopic, partition);
        share.withdrawAll();
        List<Event> dropped = new ArrayList<>();
        incarnation.events.drainTo(dropped);
        int completions =
                (int) dropped.stream().filter(e -> e instanceof Completed).count() + unwritten.size();
        unwritten.clear();
        resources.completionsHandled(completions);
    }

    /**
     * Waits until the instance has room for one more pending request, at most as long as the stream thread's
     * {@link WaitBudget} allows, meanwhile handling this task's completions and dispatching its ready requests. Depends
     * on nothing that only another task could do.
     */
    private void waitForRoom() {
        WaitBudget budget = resources.waitBudgetOfCurrentThread();
        long start = System.nanoTime();
        long pollNanos = config.drainInterval().toNanos();
        try {
            while (resources.pending().get() >= config.maxPending()) {
                long remaining = budget.remainingNanos() - (System.nanoTime() - start);
                if (remaining <= 0) {
                    LOG.debug(
                            "Task {}: backpressure wait budget spent; accepting beyond {}={}",
                            taskName,
                            EngineConfig.KEY_MAX_PENDING,
                            config.maxPending());
                    return;
                }
                Event event = incarnation.events.poll(Math.min(remaining, pollNanos), TimeUnit.NANOSECONDS);
                if (event != null) {
                    handle(event);
                }
                drainAndDispatch();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Task {}: interrupted while waiting for room; accepting the record", taskName);
        } finally {
            budget.spend(System.nanoTime() - start);
        }
    }

    private void drainAndDispatch() {
        bindCommits();
        releaseCommitted();
        Event event;
        while ((event = incarnation.events.poll()) != null) {
            handle(event);
        }
        dispatch();
    }

    /** Handles ready conversation heads: local ones here, calls while the pause and the limiter allow. */
    private void dispatch() {
        long now = clock.millis();
        if (!unwritten.isEmpty() && now >= registryRetryAt) {
            List<Completed> again = new ArrayList<>(unwritten);
            unwritten.clear();
            again.forEach(this::handle);
        }
        queues.promoteDue(now);
        boolean gateClosed = resources.pause().gate() == OperatorPause.Gate.CLOSED;
        if (gateClosed) {
            disarm();
        }
        InFlightLimiter limiter = resources.limiter();
        while (queues.hasReady()) {
            String conversation = queues.pollReady();
            if (queues.headIsLocal(conversation)) {
                handleLocal(conversation);
                continue;
            }
            if (gateClosed) {
                queues.unpoll(conversation);
                break;
            }
            if (limiter.tryAcquire(waiter)) {
                InFlightCall call;
                try {
                    call = prepare(conversation);
                } catch (RuntimeException | Error e) {
                    limiter.release();
                    throw e;
                }
                if (call == null) {
                    limiter.release();
                } else {
                    call.start();
                }
            } else if (limiter.canArm(waiter)) {
                // No permit now: the call is prepared and armed, and the next permit freed starts it
                // on the freeing thread, without waiting for this stream thread to come back from poll().
                InFlightCall call = prepare(conversation);
                if (call != null && limiter.arm(waiter, call)) {
                    call.start();
                }
            } else {
                queues.unpoll(conversation);
                break;
            }
        }
        if (gateClosed || !queues.hasReady()) {
            limiter.returnGrants(waiter);
        }
    }

    /** The operator pause closed dispatching: armed calls of this task go back to waiting. */
    private void disarm() {
        for (InFlightLimiter.Armed armed : resources.limiter().disarm(waiter)) {
            InFlightCall call = (InFlightCall) armed;
            if (call.cancelUnstarted()) {
                inFlight.remove(call.conversation);
                queues.requeueHead(call.conversation);
            }
        }
    }

    /**
     * Runs on this task's stream thread right after its producer committed (inside Kafka Streams' commit: no
     * forwarding, no store writes). Conversations whose previous outcome is now committed may call again: each one's
     * next call is prepared and started at once when a permit is free, or armed; a conversation whose head needs the
     * stream thread (a local entry, decoding trouble, a denial) is left ready for the next drain.
     */
    private void committed() {
        if (incarnation.closed.get() || awaiting.isEmpty()) {
            return;
        }
        long count = commits.count();
        InFlightLimiter limiter = resources.limiter();
        boolean open = resources.pause().gate() == OperatorPause.Gate.OPEN;
        while (!awaiting.isEmpty() && awaiting.peekFirst().commit() <= count) {
            String conversation = awaiting.pollFirst().conversation();
            awaitingCommit.remove(conversation);
            if (!queues.has(conversation)) {
                continue;
            }
            if (!open || queues.headIsLocal(conversation)) {
                queues.release(conversation, clock.millis());
                continue;
            }
            InFlightCall call = prepareQuietly(conversation);
            if (call == null) {
                queues.release(conversation, clock.millis());
            } else if (limiter.tryAcquire(waiter)) {
                call.start();
            } else if (limiter.canArm(waiter)) {
                if (limiter.arm(waiter, call)) {
                    call.start();
                }
            } else {
                call.cancelUnstarted();
                inFlight.remove(conversation);
                queues.release(conversation, clock.millis());
            }
        }
    }

    /**
     * Conversations whose previous outcome is committed become ready (when the commit listener did not already handle
     * them).
     */
    private void releaseCommitted() {
        long count = commits.count();
        while (!awaiting.isEmpty() && awaiting.peekFirst().commit() <= count) {
            String conversation = awaiting.pollFirst().conversation();
            awaitingCommit.remove(conversation);
            if (queues.has(conversation)) {
                queues.release(conversation, clock.millis());
            }
        }
    }

    /** Asks Kafka Streams to commit soon (at most once per {@value #COMMIT_REQUEST_GAP_MS} ms per stream thread). */
    private void requestCommit() {
        if (commitIntervalMs > COMMIT_REQUEST_GAP_MS
                && commits.mayRequest(System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(COMMIT_REQUEST_GAP_MS))) {
            context.commit();
        }
    }

    /** The conversation's head is a local entry: publish its dead letter, or un-park it. */
    private void handleLocal(String conversation) {
        Bytes key = PendingKey.of(conversation, queues.head(conversation));
        PendingEntry entry = read(key);
        long now = clock.millis();
        if (conversation.equals(PARKED)) {
            if (entry.kind() == PendingEntry.Kind.PARKED) {
                Decoded decoded = DecodeProcessor.decode(
                        requests, validator, config.requestsTopic(), entry.rawKey(), entry.value());
                if (decoded instanceof Decoded.Parked parked) {
                    registryUnavailable("decode", parked.cause().getMessage());
                    queues.retryHead(conversation, registryRetryAt, now);
                    return;
                }
                registryAnswered();
                removeHead(conversation, key);
                admit(decoded, entry.input());
                return;
            }
            if (entry.threadId() != null || entry.requestId() != null) {
                // A refusal that waited behind parked input: now it waits behind its own conversation only.
                removeHead(conversation, key);
                String own = entry.threadId() != null ? entry.threadId() : entry.requestId();
                if (queues.has(own)) {
                    keep(own, entry, now);
                } else {
                    emitOrKeep(own, entry, now);
                }
                return;
            }
        }
        ChatDeadLetter letter;
        try {
            letter = letter(entry, null);
        } catch (SerdeException e) {
            registryUnavailable("dispatch", e.getMessage());
            queues.retryHead(conversation, registryRetryAt, now);
            return;
        }
        try {
            OutcomeWriter.Written written = writer.deadLetter(letter);
            registryAnswered();
            forward(keyOf(conversation, entry), written);
            removeHead(conversation, key);
        } catch (OutcomeWriter.NotWritable e) {
            registryUnavailable("output", e.getMessage());
            queues.retryHead(conversation, registryRetryAt, now);
        }
    }

    private void removeHead(String conversation, Bytes key) {
        store.delete(key);
        queues.removeHead(conversation, clock.millis());
        share.withdrawOne();
    }

    /**
     * The dead letter of a local entry (refused or undecodable), or of a request entry that can no longer be decoded
     * ({@code problem} given).
     *
     * @throws SerdeException {@code REGISTRY_UNAVAILABLE} when the refused request cannot be read now
     */
    private ChatDeadLetter letter(PendingEntry entry, String problem) {
        Instant now = clock.instant();
        ChatDeadLetter letter;
        if (problem != null || entry.kind() == PendingEntry.Kind.UNDECODABLE) {
            letter = Outcomes.undecodable(problem != null ? problem : entry.note(), now);
            letter = Outcomes.withInput(
                    letter, sourceTopic, entry.input(), entry.rawKey(), entry.value(), entry.value());
        } else {
            ChatRequest request = null;
            if (entry.value() != null) {
                Decoded decoded =
                        DecodeProcessor.decode(requests, validator, config.requestsTopic(), null, entry.value());
                if (decoded instanceof Decoded.Parked parked) {
                    throw parked.cause();
                }
                request = decoded instanceof Decoded.Valid v
                        ? v.request()
                        : decoded instanceof Decoded.Refused r ? r.request() : null;
            }
            letter = entry.kind() == PendingEntry.Kind.DENIED
                    ? Outcomes.denied(request, entry.requestId(), entry.threadId(), entry.note(), now)
                    : Outcomes.refused(request, entry.requestId(), entry.threadId(), entry.note(), now);
            letter = Outcomes.withInput(letter, sourceTopic, entry.input(), null, null, entry.value());
        }
        return letter;
    }

    private PendingEntry read(Bytes key) {
        byte[] stored = store.get(key);
        if (stored == null) {
            throw new IllegalStateException("pending index and pending table disagree at task " + taskName);
        }
        return PendingEntry.fromBytes(stored);
    }

    /**
     * Prepares the call of a ready conversation's head: reads and decodes the request and checks the policy. Returns
     * the call (registered as the conversation's call in flight, not started), or null when the head was handled
     * otherwise (its dead letter, or a wait for the registry).
     */
    private InFlightCall prepare(String conversation) {
        Bytes key = PendingKey.of(conversation, queues.head(conversation));
        InFlightCall fresh = prepareJustAdmitted(conversation, key);
        if (fresh != null) {
            return fresh;
        }
        PendingEntry stored = read(key);
        long now = clock.millis();
        Decoded decoded = DecodeProcessor.decode(requests, validator, config.requestsTopic(), null, stored.value());
        ChatRequest request = decoded instanceof Decoded.Valid v
                ? v.request()
                : decoded instanceof Decoded.Refused r ? r.request() : null;
        if (request == null) {
            if (decoded instanceof Decoded.Parked parked) {
                registryUnavailable("dispatch", parked.cause().getMessage());
                queues.retryHead(conversation, registryRetryAt, now);
                return null;
            }
            String problem =
                    "the pending request can no longer be decoded: " + ((Decoded.Undecodable) decoded).problem();
            deadLetterHead(conversation, key, stored, problem, now);
            return null;
        }
        registryAnswered();
        String denial = denial(request, stored.input());
        if (denial != null) {
            // Admitted under an earlier policy (before a restart with stricter settings): denied now, without a call.
            acceptedAtNanos.remove(key);
            deadLetterHead(
                    conversation,
                    key,
                    new PendingEntry(
                            PendingEntry.Kind.DENIED,
                            stored.attempts(),
                            stored.firstAttemptAt(),
                            stored.notBefore(),
                            stored.input(),
                            OutcomeWriter.cut(denial),
                            request.getRequestId(),
                            request.getThreadId(),
                            null,
                            stored.value()),
                    null,
                    now);
            return null;
        }
        return register(conversation, key, stored, request);
    }

    /**
     * Like {@link #prepare}, but without side effects when the head is not simply callable (then null, and the next
     * drain handles it): used inside a commit, where nothing may be forwarded.
     */
    private InFlightCall prepareQuietly(String conversation) {
        Bytes key = PendingKey.of(conversation, queues.head(conversation));
        PendingEntry stored = read(key);
        Decoded decoded = DecodeProcessor.decode(requests, validator, config.requestsTopic(), null, stored.value());
        ChatRequest request = decoded instanceof Decoded.Valid v
                ? v.request()
                : decoded instanceof Decoded.Refused r ? r.request() : null;
        if (request == null || denial(request, stored.input()) != null) {
            return null;
        }
        return register(conversation, key, stored, request);
    }

    /**
     * The call of the request accepted by this {@code process()} call, when {@code key} is its entry (validated and
     * policy-checked at acceptance).
     */
    private InFlightCall prepareJustAdmitted(String conversation, Bytes key) {
        Admitted admitted = justAdmitted;
        if (admitted == null || !admitted.key().equals(key)) {
            return null;
        }
        justAdmitted = null;
        return register(conversation, key, admitted.entry(), admitted.request());
    }

    private InFlightCall register(String conversation, Bytes key, PendingEntry stored, ChatRequest request) {
        InFlightCall call =
                new InFlightCall(conversation, key, stored, request, incarnation, share, acceptedAtNanos.remove(key));
        inFlight.put(conversation, call);
        return call;
    }

    /**
     * Starts a prepared call; on the stream thread ({@code offload}: the request is built and sent from a Reactor
     * worker), or on the thread that freed a permit for an armed one.
     */
    private void launch(InFlightCall call, boolean offload) {
        PendingEntry stored = call.entry;
        if (stored.firstAttemptAt() == PendingEntry.NONE) {
            call.entry = stored.withAttempt(stored.attempts(), clock.millis(), PendingEntry.NONE);
        }
        call.startedNanos = System.nanoTime();
        Long acceptedAt = call.acceptedAtNanos;
        resources.metrics().callStarted(acceptedAt == null ? null : Duration.ofNanos(call.startedNanos - acceptedAt));
        ChatRequest request = call.request;
        Duration timeout = config.attemptTimeout();
        Mono<CallOutcome> attempt = Mono.defer(() -> api.call(request));
        if (offload) {
            attempt = attempt.subscribeOn(resources.launches());
        }
        Disposable subscription = attempt.timeout(
                        timeout,
                        Mono.fromSupplier(() -> new CallOutcome.RetriableFailure(
                                CallOutcome.RetryCause.TIMEOUT,
                                null,
                                null,
                                null,
                                "no outcome within " + EngineConfig.KEY_ATTEMPT_TIMEOUT + "=" + timeout.toMillis()
                                        + "; call cancelled")))
                .switchIfEmpty(Mono.fromSupplier(() -> new CallOutcome.RetriableFailure(
                        null, null, null, "the API client completed without an outcome")))
                .onErrorResume(e -> {
                    RequestMdc.run(
                            request,
                            () -> LOG.error(
                                    "Task {}: the API client failed instead of returning an outcome (a bug); retrying the call",
                                    taskName,
                                    e));
                    return Mono.just(new CallOutcome.RetriableFailure(
                            null,
                            null,
                            null,
                            "API client error: " + e.getClass().getName()));
                })
                .subscribe(outcome -> onOutcome(call, outcome));
        call.subscription = subscription;
        if (call.state.get() == DONE && call.incarnation.closed.get()) {
            subscription.dispose(); // the task closed while this call was being started
        }
    }

    /** Publishes the dead letter of a conversation's head (no call made) and removes it, or waits for the registry. */
    private void deadLetterHead(String conversation, Bytes key, PendingEntry entry, String problem, long now) {
        try {
            forward(conversation, writer.deadLetter(letter(entry, problem)));
            removeHead(conversation, key);
        } catch (OutcomeWriter.NotWritable e) {
            registryUnavailable("output", e.getMessage());
            queues.retryHead(conversation, registryRetryAt, now);
        }
    }

    /**
     * Runs on the thread that completes the call. Frees the permit now, not when the outcome is forwarded. Whatever a
     * hook throws, the completion still reaches the stream thread, so the conversation's head is never left busy.
     */
    private void onOutcome(InFlightCall call, CallOutcome outcome) {
        if (!call.finish()) {
            return;
        }
        long endedNanos = System.nanoTime();
        CallOutcome.Refused refused = outcome instanceof CallOutcome.Refused r ? r : null;
        if (refused == null) {
            // Counted as waiting to be forwarded before the permit goes back, so that a graceful
            // shutdown never sees "nothing in flight and nothing to forward" while this one is between.
            resources.completionQueued();
        }
        try {
            // Flow control hears of the outcome before the permit goes back: a 429's Retry-After pause and a
            // lowered limit must hold for the very permit this call frees.
            FlowControl flow = resources.flow();
            int inFlightNow = flow.adapts() ? resources.limiter().inUse() : 0;
            try {
                flow.callEnded(outcome, endedNanos, endedNanos - call.startedNanos, inFlightNow);
            } finally {
                resources.limiter().release();
            }
            if (outcome instanceof CallOutcome.Success || outcome instanceof CallOutcome.PermanentFailure) {
                call.share.withdrawOne();
            }
            resources.metrics().callEnded(outcome, Duration.ofNanos(endedNanos - call.startedNanos));
            audit(call, outcome, endedNanos);
        } catch (RuntimeException e) {
            LOG.error(
                    "Task {}: a hook failed while completing a call (a bug); the outcome is still handled",
                    taskName,
                    e);
        } finally {
            if (refused == null) {
                deliver(call, outcome);
            }
        }
        if (refused != null) {
            // Whose refusal is it? Only a key check made after it can tell; the conversation's head waits
            // (no permit held) and other conversations go on.
            resources.pause().verify(api::checkKey, check -> {
                resources.completionQueued();
                if (check.verdict() == KeyCheck.Verdict.ACCEPTED) {
                    call.share.withdrawOne();
                    refusedLog(call, refused);
                    deliver(call, refused.asDeadLetter());
                } else {
                    deliver(
                            call,
                            new CallOutcome.OperatorFailure(
                                    check.httpStatus() == null ? refused.httpStatus() : check.httpStatus(),
                                    check.message()));
                }
            });
        }
    }

    /** Hands a completion to the stream thread (already counted with {@code completionQueued}). */
    private void deliver(InFlightCall call, CallOutcome outcome) {
        Completed completed = new Completed(call, outcome, clock.millis());
        call.incarnation.events.offer(completed);
        if (call.incarnation.closed.get() && call.incarnation.events.remove(completed)) {
            // The task closed while this completed; close() may already have drained the queue,
            // so whoever takes the event off the queue counts it as handled (dropped).
            resources.completionsHandled(1);
        }
    }

    private void refusedLog(InFlightCall call, CallOutcome.Refused refused) {
        long heldBack = refusalLog.tryAcquire();
        if (heldBack >= 0) {
            RequestMdc.run(
                    call.request,
                    () -> LOG.warn(
                            "Task {}: {}; dead-lettered as {} ({} more such refusals "
                                    + "since the last such line). Other requests are not held up.",
                            taskName,
                            refused.message(),
                            refused.suspect().reason(),
                            heldBack));
        }
    }

    /** One audit event per call: who asked for what, where it came from, how it ended; never content. */
    private void audit(InFlightCall call, CallOutcome outcome, long endedNanos) {
        resources
                .audit()
                .record(AuditEvent.ofCall(
                        call.request,
                        call.entry,
                        sourceTopic,
                        call.entry.attempts() + 1,
                        outcome,
                        Duration.ofNanos(endedNanos - call.startedNanos),
                        clock.instant()));
    }

    private void handle(Event event) {
        if (!(event instanceof Completed completed)) {
            return;
        }
        InFlightCall call = completed.call();
        if (incarnation.closed.get() || inFlight.get(call.conversation) != call) {
            resources.completionsHandled(1);
            return;
        }
        PendingEntry entry = call.entry;
        ChatRequest request = call.request;
        int attempts = entry.attempts() + 1;
        long now = completed.completedAt();
        CallOutcome outcome = completed.outcome();
        try {
            if (outcome instanceof CallOutcome.Success s) {
                ChatResponse response = Outcomes.response(
                        request, s.answer(), attempts, now - entry.firstAttemptAt(), Instant.ofEpochMilli(now));
                finish(call, writer.response(request, response, letter -> withInput(entry, letter)));
            } else if (outcome instanceof CallOutcome.PermanentFailure p) {
                finish(
                        call,
                        writer.deadLetter(withInput(
                                entry,
                                Outcomes.deadLetter(
                                        request,
                                        p.reason(),
                                        p.httpStatus(),
                                        p.problem(),
                                        p.excerpt(),
                                        p.message(),
                                        attempts,
                                        clock.instant()))));
            } else if (outcome instanceof CallOutcome.RetriableFailure r) {
                retryOrGiveUp(call, r, attempts, now);
            } else {
                // OperatorFailure: the deployment, not the request, is at fault; the entry stays and waits for the
                // pause.
                inFlight.remove(call.conversation);
                resources.completionsHandled(1);
                queues.requeueHead(call.conversation);
            }
        } catch (OutcomeWriter.NotWritable e) {
            // Kept (still counted as not forwarded) and written once the registry answers.
            registryUnavailable("output", e.getMessage());
            unwritten.add(completed);
        }
    }

    private ChatDeadLetter withInput(PendingEntry entry, ChatDeadLetter letter) {
        return Outcomes.withInput(letter, sourceTopic, entry.input(), null, null, entry.value());
    }

    private void retryOrGiveUp(InFlightCall call, CallOutcome.RetriableFailure failure, int attempts, long now)
            throws OutcomeWriter.NotWritable {
        PendingEntry entry = call.entry;
        Duration elapsed = Duration.ofMillis(Math.max(0, now - entry.firstAttemptAt()));
        Duration quotaWait = resources.flow().quotaRetryAfter(failure);
        if (quotaWait != null
                && elapsed.plus(quotaWait).compareTo(config.retryPolicy().maxTotalTime()) <= 0) {
            // The deployment's quota refused it, not the request: the instance is paused for the Retry-After
            // and the call goes again after it without spending an attempt (the total-time budget still bounds it).
            requeue(call, entry.attempts(), now + quotaWait.toMillis(), failure, entry.attempts() + 1, quotaWait);
            return;
        }
        Optional<Duration> delay = config.retryPolicy().nextDelay(attempts, elapsed, failure.retryAfter());
        if (delay.isPresent()) {
            requeue(call, attempts, now + delay.get().toMillis(), failure, attempts, delay.get());
            return;
        }
        ChatDeadLetter letter = withInput(
                entry,
                Outcomes.deadLetter(
                        call.request,
                        DeadLetterReason.RETRIES_EXHAUSTED,
                        failure.httpStatus(),
                        null,
                        failure.excerpt(),
                        "gave up after " + attempts + " attempts in " + elapsed.toMillis() + " ms; last failure: "
                                + failure.message(),
                        attempts,
                        clock.instant()));
        OutcomeWriter.Written written = writer.deadLetter(letter);
        share.withdrawOne();
        finish(call, written);
    }

    /** Stores the entry with {@code attemptsCounted} and {@code notBefore}, and puts the conversation's head back. */
    private void requeue(
            InFlightCall call,
            int attemptsCounted,
            long notBefore,
            CallOutcome.RetriableFailure failure,
            int attempt,
            Duration delay) {
        PendingEntry entry = call.entry;
        store.put(
                call.key,
                entry.withAttempt(attemptsCounted, entry.firstAttemptAt(), notBefore)
                        .toBytes());
        resources.metrics().retryScheduled(failure);
        RequestMdc.run(
                call.request,
                () -> LOG.debug(
                        "Task {}: attempt {} failed, retrying in {} ms: {}",
                        taskName,
                        attempt,
                        delay.toMillis(),
                        failure.message()));
        inFlight.remove(call.conversation);
        resources.completionsHandled(1);
        queues.retryHead(call.conversation, notBefore, clock.millis());
    }

    /**
     * Forwards the final outcome and deletes the entry in the same step (one transaction under exactly-once). The
     * conversation's next entry waits until this is committed, so that a crash can never make the API see this turn
     * again after the next one.
     */
    private void finish(InFlightCall call, OutcomeWriter.Written outcome) {
        registryAnswered();
        inFlight.remove(call.conversation);
        resources.completionsHandled(1);
        forward(call.conversation, outcome);
        store.delete(call.key);
        queues.advance(call.conversation);
        // Even with nothing pending behind it now: a turn accepted before the commit waits for it too.
        long needed = commits.count() + 1;
        awaiting.addLast(new Awaiting(call.conversation, needed));
        awaitingCommit.put(call.conversation, needed);
        requestCommit();
        if (outcome.deadLetter() != null) {
            ChatDeadLetter dl = outcome.deadLetter();
            RequestMdc.run(
                    call.request, () -> LOG.debug("Task {}: request dead-lettered: {}", taskName, dl.getReason()));
        }
    }

    private void forward(String key, OutcomeWriter.Written outcome) {
        context.forward(new Record<>(key, outcome, clock.millis()));
        if (outcome.deadLetter() != null) {
            resources.metrics().deadLettered(outcome.deadLetter().getReason());
            if (!outcome.deadLetter().getOmitted().isEmpty()) {
                resources.metrics().deadLetterShrunk();
            }
        } else {
            resources.metrics().responded();
        }
    }

    /**
     * Output key of a local entry's dead letter: its conversation; for input that belongs to no conversation, the input
     * key when it is a short, printable UTF-8 text (else none: the key's size is in the letter).
     */
    private String keyOf(String conversation, PendingEntry entry) {
        if (!conversation.equals(PARKED) && !conversation.equals(LOOSE)) {
            return conversation;
        }
        String key = DecodeProcessor.utf8OrNull(entry.rawKey());
        return key != null && key.length() <= config.maxIdChars() && key.equals(LogSafe.text(key)) ? key : null;
    }

    private void registryUnavailable(String step, String cause) {
        long heldBack = registryLog.tryAcquire();
        if (heldBack >= 0) {
            LOG.warn(
                    "Task {}: waiting for the schema registry ({} step, {} more waits since the last such line); "
                            + "nothing is dead-lettered for it, readiness is false until it answers: {}",
                    taskName,
                    step,
                    heldBack,
                    cause == null ? "input parked in the pending table" : LogSafe.text(cause));
        }
        long now = clock.millis();
        registryRetryAt = now + registryBackoffMs;
        registryBackoffMs = Math.min(REGISTRY_RETRY_MAX_MS, registryBackoffMs * 2);
        resources.metrics().registryWait(step);
        resources.registryWait().unavailable();
    }

    private void registryAnswered() {
        registryBackoffMs = REGISTRY_RETRY_MIN_MS;
        resources.registryWait().available();
    }
}
