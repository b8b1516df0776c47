package dev.chatbridge.engine;

import dev.chatbridge.policy.RequestPolicy;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What the tasks of one Kafka Streams instance share: the in-flight limiter, the pending count, the operator pause, the
 * per-stream-thread backpressure budgets and the metrics sink. A runner creates exactly one per {@code KafkaStreams}
 * instance and passes it to {@link ChatBridgeTopology#build}; it is never a static, so two instances in one JVM (tests)
 * each get their own.
 *
 * <p><b>Threading.</b> Immutable holder; each member documents its own threading.
 */
public final class EngineResources {

    /** Completions queued by Netty threads and not yet handled by their stream thread. */
    private final AtomicInteger unforwarded = new AtomicInteger();

    private final InFlightLimiter limiter;
    private final FlowControl flow;
    private final PendingCount pending;
    private final OperatorPause pause;
    private final ThreadLocal<WaitBudget> waitBudgets;
    private final EngineMetrics metrics;
    private final RegistryWait registryWait = new RegistryWait();
    private final CommitClock commits = new CommitClock();
    private final TopicIdentity topicIds;
    private volatile ToIntFunction<String> outputLimits = topic -> Integer.MAX_VALUE;
    private volatile AuditSink audit = AuditSink.NONE;
    private volatile RequestPolicy policy = RequestPolicy.permitAll();
    private volatile Scheduler launches = Schedulers.parallel();

    /** Resources sized by the configuration, reporting no metrics. */
    public EngineResources(EngineConfig config, Clock clock) {
        this(config, clock, EngineMetrics.NONE);
    }

    /** Resources sized by the configuration, reporting to {@code metrics}. */
    public EngineResources(EngineConfig config, Clock clock, EngineMetrics metrics) {
        this(config, clock, metrics, TopicIdentity.UNKNOWN);
    }

    /** Resources sized by the configuration, reporting to {@code metrics}, telling topic ids with {@code topicIds}. */
    public EngineResources(EngineConfig config, Clock clock, EngineMetrics metrics, TopicIdentity topicIds) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.topicIds = Objects.requireNonNull(topicIds, "topicIds");
        this.pending = new PendingCount();
        this.pause = new OperatorPause(config.pauseInitialBackoff(), config.pauseMaxBackoff());
        this.flow = new FlowControl(config, topicIds);
        this.limiter = new InFlightLimiter(
                config.maxInFlight(), () -> pause.gate() == OperatorPause.Gate.OPEN, flow, Schedulers.parallel());
        flow.attach(limiter);
        this.pause.onCheck((check, took) -> {
            metrics.keyChecked(check.verdict());
            audit.record(AuditEvent.ofKeyCheck(check, took, clock.instant()));
        });
        long maxWaitNanos = config.backpressureMaxWait().toNanos();
        this.waitBudgets = ThreadLocal.withInitial(() -> new WaitBudget(maxWaitNanos));
    }

    /**
     * Where a call started by a stream thread is built and sent: a Reactor worker by default, so the stream thread only
     * records the start. Engine unit tests use {@code Schedulers.immediate()} to see each call at once on the driver's
     * thread.
     */
    Scheduler launches() {
        return launches;
    }

    void launchOn(Scheduler scheduler) {
        this.launches = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** The in-flight limit of the instance. */
    public InFlightLimiter limiter() {
        return limiter;
    }

    /** The adaptive limit, the Retry-After pause and the quota share of the instance. */
    FlowControl flow() {
        return flow;
    }

    /** The limit in force now (below {@code chat.max.in.flight} when adaptive or a concurrency quota holds it). */
    public int limitInForce() {
        return limiter.limit();
    }

    /** The adaptive limit now ({@code chat.max.in.flight} when adaptive is off). */
    public int adaptiveLimit() {
        return flow.adaptiveLimit();
    }

    /** This instance's share of the deployment's API quota: owned input partitions / all (1 without a quota). */
    public double quotaShare() {
        return flow.share();
    }

    /** Requests per second this instance may start (its share of the rate quota; 0 without one). */
    public double rateShare() {
        return flow.rateShare();
    }

    /** Total time new calls were paused by the API's Retry-After, in seconds. */
    public double retryAfterPausedSeconds() {
        return flow.pausedSeconds();
    }

    /** Starts held back by a Retry-After pause or by the rate share, each try counted. */
    public long heldStarts(boolean byRate) {
        return byRate ? flow.heldByRate() : flow.heldByPause();
    }

    /** Accepted, unfinished requests of the instance. */
    public PendingCount pending() {
        return pending;
    }

    /**
     * When each stream thread's output is committed. A runner must create its {@code KafkaStreams} with
     * {@link CommitClock#clientSupplier()} (or report commits itself), or a conversation's next call waits forever.
     */
    public CommitClock commitClock() {
        return commits;
    }

    /** Operator pause and readiness of the instance. */
    public OperatorPause pause() {
        return pause;
    }

    /** Whether the instance waits for the schema registry (readiness). */
    public RegistryWait registryWait() {
        return registryWait;
    }

    /**
     * Lets the runner lower the largest value published per output topic below {@code chat.response.max.bytes} (for
     * example after Kafka refused a record as too large).
     */
    public void limitOutputs(ToIntFunction<String> maxValueBytesByTopic) {
        this.outputLimits = Objects.requireNonNull(maxValueBytesByTopic, "maxValueBytesByTopic");
    }

    /** The largest value the runner lets the engine publish to {@code topic}. */
    int outputLimit(String topic) {
        return outputLimits.applyAsInt(topic);
    }

    /** Sends one {@link AuditEvent} per call (and key check) to {@code sink}; none are kept by default. */
    public void auditTo(AuditSink sink) {
        this.audit = Objects.requireNonNull(sink, "sink");
    }

    /** Checks every request against {@code requestPolicy} before it is called; everything is allowed by default. */
    public void usePolicy(RequestPolicy requestPolicy) {
        this.policy = Objects.requireNonNull(requestPolicy, "requestPolicy");
    }

    /** Which requests may be sent at all. */
    RequestPolicy policy() {
        return policy;
    }

    /** Where calls are audited. */
    AuditSink audit() {
        return audit;
    }

    /** Tells topic ids (to notice a re-created input topic). */
    TopicIdentity topicIds() {
        return topicIds;
    }

    /** Where the engine reports what it does. */
    EngineMetrics metrics() {
        return metrics;
    }

    /** The calling stream thread's backpressure budget. */
    WaitBudget waitBudgetOfCurrentThread() {
        return waitBudgets.get();
    }

    /**
     * Calls that completed but whose outcome the stream thread has not forwarded (or dropped) yet. A graceful shutdown
     * waits for this and the calls in flight to reach zero before it closes Kafka Streams, so that finished answers are
     * published rather than sent again.
     */
    public int unforwardedCompletions() {
        return unforwarded.get();
    }

    /** A Netty thread queued a completion for a stream thread. */
    void completionQueued() {
        unforwarded.incrementAndGet();
    }

    /** A stream thread handled (forwarded or dropped) {@code count} queued completions. */
    void completionsHandled(int count) {
        unforwarded.addAndGet(-count);
    }
}
