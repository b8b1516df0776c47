package dev.chatbridge.observability;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.CallTimings;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.engine.EngineMetrics;
import dev.chatbridge.engine.EngineResources;
import dev.chatbridge.engine.InFlightLimiter;
import dev.chatbridge.engine.OperatorPause;
import dev.chatbridge.engine.PendingCount;
import dev.chatbridge.events.DeadLetterReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The service's own meters ({@link ChatBridgeMeters}) on a Micrometer registry: what the engine and the API client
 * report, plus gauges over one instance's shared resources.
 *
 * <p>Every counter and timer is registered up front for every value of its tags, so each series exists (at zero) before
 * the first event and rates are defined from the start.
 *
 * <p><b>Threading.</b> Immutable after construction apart from Micrometer's meters, which are thread-safe; the
 * reporting methods are called from stream threads and Netty threads alike and never block.
 */
public final class ChatBridgeMetrics implements EngineMetrics, CallTimings {

    private static final Duration MIN_EXPECTED = Duration.ofMillis(1);
    private static final Duration MAX_EXPECTED = Duration.ofMinutes(5);

    private final MeterRegistry registry;
    private final Counter responses;
    private final Map<DeadLetterReason, Counter> deadLetterRequests = new EnumMap<>(DeadLetterReason.class);
    private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
    private final Map<RetryReason, Counter> retries = new EnumMap<>(RetryReason.class);
    private final Map<CallResult, Timer> callDurations = new EnumMap<>(CallResult.class);
    private final Counter apiCalls;
    private final Timer firstEvent;
    private final Timer queueWait;
    private final Map<String, Counter> registryWaits = new HashMap<>();
    private final Counter replayed;
    private final Counter shrunk;
    private final Counter oversizeOutcomes;
    private final Map<KeyCheck.Verdict, Counter> keyChecks = new EnumMap<>(KeyCheck.Verdict.class);
    private final Counter auditDropped;

    /** Registers the counters and timers of the catalogue on {@code registry}. */
    public ChatBridgeMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.responses = counter(
                ChatBridgeMeters.REQUESTS, MeterTag.OUTCOME.key(), "response", MeterTag.REQUEST_REASON.key(), "none");
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            String value = MeterTag.lower(reason);
            deadLetterRequests.put(
                    reason,
                    counter(
                            ChatBridgeMeters.REQUESTS,
                            MeterTag.OUTCOME.key(),
                            "dead_letter",
                            MeterTag.REQUEST_REASON.key(),
                            value));
            deadLetters.put(reason, counter(ChatBridgeMeters.DEAD_LETTERS, MeterTag.DEAD_LETTER_REASON.key(), value));
        }
        for (RetryReason reason : RetryReason.values()) {
            retries.put(reason, counter(ChatBridgeMeters.RETRIES, MeterTag.RETRY_REASON.key(), reason.tagValue()));
        }
        for (CallResult result : CallResult.values()) {
            callDurations.put(result, timer(ChatBridgeMeters.CALL_DURATION, MeterTag.RESULT.key(), result.tagValue()));
        }
        this.apiCalls = counter(ChatBridgeMeters.API_CALLS);
        this.firstEvent = timer(ChatBridgeMeters.TIME_TO_FIRST_EVENT);
        this.queueWait = timer(ChatBridgeMeters.QUEUE_WAIT);
        for (String step : MeterTag.REGISTRY_STEP.allowedValues()) {
            registryWaits.put(step, counter(ChatBridgeMeters.REGISTRY_WAITS, MeterTag.REGISTRY_STEP.key(), step));
        }
        this.replayed = counter(ChatBridgeMeters.INPUT_REPLAYED);
        this.shrunk = counter(ChatBridgeMeters.DEAD_LETTERS_SHRUNK);
        this.oversizeOutcomes = counter(ChatBridgeMeters.OVERSIZE_OUTCOMES);
        for (KeyCheck.Verdict verdict : KeyCheck.Verdict.values()) {
            keyChecks.put(
                    verdict,
                    counter(ChatBridgeMeters.KEY_CHECKS, MeterTag.KEY_CHECK_VERDICT.key(), MeterTag.lower(verdict)));
        }
        this.auditDropped = counter(ChatBridgeMeters.AUDIT_DROPPED);
    }

    @Override
    public void keyChecked(KeyCheck.Verdict verdict) {
        keyChecks.get(verdict).increment();
    }

    /** An audit event could not be handed to or delivered by the audit topic producer. */
    public void auditDropped() {
        auditDropped.increment();
    }

    /**
     * Registers the gauges over one instance: calls in flight, pending requests, operator-failure episodes and
     * readiness. The registry holds the gauges' state strongly; the episode counter reads {@code pause} through a weak
     * reference (Micrometer's only choice), which the app keeps alive.
     */
    public void bindInstance(
            InFlightLimiter limiter, PendingCount pending, OperatorPause pause, BooleanSupplier ready) {
        gauge(ChatBridgeMeters.IN_FLIGHT, limiter, InFlightLimiter::inUse);
        gauge(ChatBridgeMeters.PENDING, pending, PendingCount::get);
        gauge(ChatBridgeMeters.READY, ready, r -> r.getAsBoolean() ? 1 : 0);
        FunctionCounter.builder(ChatBridgeMeters.OPERATOR_FAILURE_EPISODES.meterName(), pause, OperatorPause::episodes)
                .description(ChatBridgeMeters.OPERATOR_FAILURE_EPISODES.description())
                .baseUnit(ChatBridgeMeters.OPERATOR_FAILURE_EPISODES.baseUnit())
                .register(registry);
    }

    /**
     * Registers the gauges and counters of the instance's flow control: the limit in force, the adaptive limit, the
     * quota share and rate, the time paused by Retry-After and the starts held back.
     */
    public void bindFlow(EngineResources resources) {
        gauge(ChatBridgeMeters.LIMIT_IN_FORCE, resources, EngineResources::limitInForce);
        gauge(ChatBridgeMeters.ADAPTIVE_LIMIT, resources, EngineResources::adaptiveLimit);
        gauge(ChatBridgeMeters.QUOTA_SHARE, resources, EngineResources::quotaShare);
        gauge(ChatBridgeMeters.QUOTA_RATE, resources, EngineResources::rateShare);
        FunctionCounter.builder(
                        ChatBridgeMeters.RETRY_AFTER_PAUSED.meterName(),
                        resources,
                        EngineResources::retryAfterPausedSeconds)
                .description(ChatBridgeMeters.RETRY_AFTER_PAUSED.description())
                .baseUnit(ChatBridgeMeters.RETRY_AFTER_PAUSED.baseUnit())
                .register(registry);
        for (boolean byRate : new boolean[] {false, true}) {
            FunctionCounter.builder(ChatBridgeMeters.STARTS_HELD.meterName(), resources, r -> r.heldStarts(byRate))
                    .description(ChatBridgeMeters.STARTS_HELD.description())
                    .baseUnit(ChatBridgeMeters.STARTS_HELD.baseUnit())
                    .tag(MeterTag.HELD_BY.key(), byRate ? "rate" : "pause")
                    .register(registry);
        }
    }

    @Override
    public void callStarted(Duration waited) {
        apiCalls.increment();
        if (waited != null) {
            queueWait.record(waited);
        }
    }

    @Override
    public void callEnded(CallOutcome outcome, Duration duration) {
        callDurations.get(CallResult.of(outcome)).record(duration);
    }

    @Override
    public void retryScheduled(CallOutcome.RetriableFailure failure) {
        retries.get(RetryReason.of(failure)).increment();
    }

    @Override
    public void responded() {
        responses.increment();
    }

    @Override
    public void deadLettered(DeadLetterReason reason) {
        deadLetterRequests.get(reason).increment();
        deadLetters.get(reason).increment();
    }

    /** An outcome refused as too large was replaced by a minimal dead letter. */
    public void oversizeOutcomeReplaced() {
        oversizeOutcomes.increment();
    }

    @Override
    public void firstByte(Duration elapsed) {
        firstEvent.record(elapsed);
    }

    @Override
    public void registryWait(String step) {
        Counter counter = registryWaits.get(step);
        if (counter != null) {
            counter.increment();
        }
    }

    @Override
    public void replaySkipped() {
        replayed.increment();
    }

    @Override
    public void deadLetterShrunk() {
        shrunk.increment();
    }

    private Counter counter(ChatBridgeMeters meter, String... tags) {
        return Counter.builder(meter.meterName())
                .description(meter.description())
                .baseUnit(meter.baseUnit())
                .tags(tags)
                .register(registry);
    }

    private Timer timer(ChatBridgeMeters meter, String... tags) {
        return Timer.builder(meter.meterName())
                .description(meter.description())
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(MIN_EXPECTED)
                .maximumExpectedValue(MAX_EXPECTED)
                .register(registry);
    }

    private <T> void gauge(ChatBridgeMeters meter, T state, ToDoubleFunction<T> value) {
        Gauge.builder(meter.meterName(), state, value)
                .description(meter.description())
                .baseUnit(meter.baseUnit())
                .strongReference(true)
                .register(registry);
    }
}
