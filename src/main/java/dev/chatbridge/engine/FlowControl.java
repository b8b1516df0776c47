package dev.chatbridge.engine;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.RetryPolicy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Schedulers;

/**
 * How fast one instance may call the API, below {@code chat.max.in.flight}: the adaptive limit, the {@code Retry-After}
 * pause, and the instance's share of a deployment-wide quota. It sets the {@link InFlightLimiter}'s limit in force and
 * is its {@link InFlightLimiter.Gate}.
 *
 * <p><b>The limit in force</b> is the smallest of the ceiling ({@code chat.max.in.flight}), the adaptive limit (when
 * {@code chat.adaptive.enabled}) and the concurrency share ({@code chat.quota.max.in.flight} x owned / all input
 * partitions, at least 1 while the instance owns any).
 *
 * <p><b>The gate</b> holds every new start back while a {@code Retry-After} pause runs (adaptive only: a 429 with
 * {@code Retry-After} pauses the whole instance for that long, capped at {@code chat.retry.max.retry.after.ms}) and,
 * with {@code chat.quota.requests.per.second}, until the instance's token bucket (bucket4j; rate = quota x owned / all
 * partitions, burst of {@value #BURST_SECONDS} s of it) has a token.
 *
 * <p><b>The share</b> is recomputed whenever a task of the engine opens or closes (every rebalance opens and closes
 * them), from what Kafka Streams already tells this instance (the tasks it runs) and the partition count of the
 * engine's source topic: no coordinator, no extra topic, no shared store. Under cooperative rebalancing a task is
 * closed on its old owner before it opens on the new one, so the shares of all instances add up to at most the whole
 * quota, except while an instance that lost its tasks has not noticed yet (until its session times out).
 *
 * <p><b>Threading.</b> {@link #callEnded} runs on the threads that complete calls, {@link #taskOpened} and
 * {@link #taskClosed} on stream threads, {@link #tryPass} under the limiter's monitor. The share is guarded by this
 * object's monitor; the pause and the bucket are read lock-free.
 */
final class FlowControl implements InFlightLimiter.Gate {

    private static final Logger LOG = LoggerFactory.getLogger(FlowControl.class);

    /**
     * The rate bucket holds this many seconds of the share: small, so an idle instance cannot burst much, yet enough
     * that a start held up this long (a busy machine, a late timer) is made up for instead of lost.
     */
    static final double BURST_SECONDS = 0.25;

    /** How often an unknown partition count is asked again. */
    static final long PARTITIONS_RETRY_SECONDS = 10;

    /** Refill period of the rate bucket: long enough that a rate like 7.5/s is a whole number of tokens per period. */
    private static final Duration REFILL_PERIOD = Duration.ofSeconds(100);

    private final int ceiling;
    private final AdaptiveLimit adaptive;
    private final RetryPolicy retries;
    private final double quotaRps;
    private final int quotaMaxInFlight;
    private final TopicIdentity topics;
    private volatile InFlightLimiter limiter;

    /** System.nanoTime() until which every start waits (Retry-After), or a time in the past. */
    private final AtomicLong pausedUntil = new AtomicLong(System.nanoTime());

    private final LongAdder pausedNanos = new LongAdder();
    private final LongAdder heldByPause = new LongAdder();
    private final LongAdder heldByRate = new LongAdder();

    // The share, guarded by this.
    private final Map<String, Set<Integer>> owned = new HashMap<>();
    private final Map<String, Integer> partitions = new HashMap<>();
    private final Set<String> retrying = new HashSet<>();
    private volatile double share;
    private volatile int concurrencyShare = Integer.MAX_VALUE;
    private volatile Bucket bucket;
    private volatile double rateShare;

    FlowControl(EngineConfig config, TopicIdentity topics) {
        this.ceiling = config.maxInFlight();
        this.adaptive = config.adaptive() ? AdaptiveLimit.of(config.adaptiveAlgorithm(), config.maxInFlight()) : null;
        this.retries = config.retryPolicy();
        this.quotaRps = config.quotaRequestsPerSecond();
        this.quotaMaxInFlight = config.quotaMaxInFlight();
        this.topics = Objects.requireNonNull(topics, "topics");
        this.share = hasQuota() ? 0.0 : 1.0;
    }

    /** Whether the deployment has a quota to share (rate or concurrency). */
    private boolean hasQuota() {
        return quotaRps > 0 || quotaMaxInFlight > 0;
    }

    /** The limiter this controls (set once, right after both are built). */
    void attach(InFlightLimiter inFlight) {
        this.limiter = inFlight;
        inFlight.setLimit(limitInForce());
    }

    /**
     * Whether the limit adapts to call outcomes, and a 429's Retry-After pauses the instance (the refused call then not
     * counted as an attempt).
     */
    boolean adapts() {
        return adaptive != null;
    }

    /**
     * A call ended (not cancelled) after {@code rttNanos}, at {@code endNanos}, with {@code inFlight} calls in flight
     * just before its permit went back: feeds the adaptive limit, starts a Retry-After pause, and sets the limit in
     * force.
     */
    void callEnded(CallOutcome outcome, long endNanos, long rttNanos, int inFlight) {
        if (adaptive == null) {
            return;
        }
        boolean drop = isDrop(outcome);
        if (drop || outcome instanceof CallOutcome.Success) {
            // Only answers and overload signals say something about the API's capacity: a refused
            // connection or a 400 ends fast and would pass for a healthy, quick call.
            adaptive.onSample(endNanos, rttNanos, inFlight, drop);
        }
        Duration retryAfter = quotaRetryAfter(outcome);
        if (retryAfter != null) {
            pause(endNanos, retryAfter);
        }
        InFlightLimiter l = limiter;
        if (l != null && l.limit() != limitInForce()) {
            l.refreshLimit(this::limitInForce);
        }
    }

    /** 429, 503 and timeouts: the API (or the way to it) is overloaded. */
    static boolean isDrop(CallOutcome outcome) {
        if (!(outcome instanceof CallOutcome.RetriableFailure r)) {
            return false;
        }
        if (r.cause() == CallOutcome.RetryCause.TIMEOUT) {
            return true;
        }
        return r.httpStatus() != null && (r.httpStatus() == 429 || r.httpStatus() == 503);
    }

    /** A 429's Retry-After (capped), when the outcome is one and pauses apply; else null. */
    Duration quotaRetryAfter(CallOutcome outcome) {
        if (adaptive == null
                || !(outcome instanceof CallOutcome.RetriableFailure r)
                || r.httpStatus() == null
                || r.httpStatus() != 429
                || r.retryAfter() == null
                || r.retryAfter().isNegative()
                || r.retryAfter().isZero()) {
            return null;
        }
        return retries.capped(r.retryAfter());
    }

    private void pause(long nowNanos, Duration retryAfter) {
        long until = nowNanos + retryAfter.toNanos();
        long before = pausedUntil.getAndAccumulate(until, (a, b) -> b - a > 0 ? b : a);
        if (until - before > 0) {
            long from = before - nowNanos > 0 ? before : nowNanos;
            pausedNanos.add(until - from);
            LOG.debug("The API answered 429 with Retry-After {} ms: new calls wait until then", retryAfter.toMillis());
        }
        InFlightLimiter l = limiter;
        if (l != null) {
            l.pump(); // schedules the pump for when the pause ends, if anyone waits
        }
    }

    @Override
    public long tryPass() {
        long now = System.nanoTime();
        long wait = pausedUntil.get() - now;
        if (wait > 0) {
            heldByPause.increment();
            return wait;
        }
        if (quotaRps > 0) {
            Bucket b = bucket;
            if (b == null) {
                heldByRate.increment();
                return InFlightLimiter.MAX_PUMP_DELAY_NANOS; // no share (yet)
            }
            ConsumptionProbe probe = b.tryConsumeAndReturnRemaining(1);
            if (!probe.isConsumed()) {
                heldByRate.increment();
                return Math.max(1, probe.getNanosToWaitForRefill());
            }
        }
        return 0;
    }

    /** A task of the engine opened, reading partition {@code partition} of {@code topic} (its stream thread). */
    void taskOpened(String topic, int partition) {
        if (!hasQuota()) {
            return;
        }
        boolean ask;
        synchronized (this) {
            owned.computeIfAbsent(topic, t -> new HashSet<>()).add(partition);
            Integer known = partitions.get(topic);
            ask = known == null || partition >= known;
        }
        if (ask) {
            learnPartitions(topic); // outside the monitor: the admin client may take seconds
        }
        recompute();
    }

    /** A task of the engine closed (revoked, or the instance stops). */
    void taskClosed(String topic, int partition) {
        if (!hasQuota()) {
            return;
        }
        synchronized (this) {
            Set<Integer> mine = owned.get(topic);
            if (mine != null && mine.remove(partition) && mine.isEmpty()) {
                owned.remove(topic);
            }
        }
        recompute();
    }

    /**
     * Asks how many partitions {@code topic} has; while that cannot be told, the instance takes the whole quota, and
     * asks again every {@value #PARTITIONS_RETRY_SECONDS} s in the background while it still owns a task of it.
     */
    private void learnPartitions(String topic) {
        OptionalInt count = topics.partitionsOf(topic);
        synchronized (this) {
            if (count.isPresent()) {
                partitions.put(topic, count.getAsInt());
                return;
            }
            if (partitions.containsKey(topic) || !retrying.add(topic)) {
                return; // a count is known (only not for this partition yet), or a retry is already scheduled
            }
        }
        LOG.warn(
                "Could not tell how many partitions {} has: until it can be told, this instance takes the whole API "
                        + "quota ({}={}, {}={}) as its share; asking again every {} s",
                topic,
                EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND,
                quotaRps,
                EngineConfig.KEY_QUOTA_MAX_IN_FLIGHT,
                quotaMaxInFlight,
                PARTITIONS_RETRY_SECONDS);
        retryPartitions(topic);
    }

    private void retryPartitions(String topic) {
        try {
            Schedulers.boundedElastic()
                    .schedule(
                            () -> {
                                OptionalInt count = topics.partitionsOf(topic);
                                boolean again;
                                synchronized (this) {
                                    count.ifPresent(n -> partitions.put(topic, n));
                                    again = count.isEmpty() && owned.containsKey(topic);
                                    if (!again) {
                                        retrying.remove(topic);
                                    }
                                }
                                if (again) {
                                    retryPartitions(topic);
                                } else {
                                    recompute();
                                }
                            },
                            PARTITIONS_RETRY_SECONDS,
                            TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                retrying.remove(topic); // the JVM is stopping
            }
        }
    }

    /** Recomputes the share from the tasks owned, then the limit in force. */
    private void recompute() {
        synchronized (this) {
            recomputeLocked();
        }
        InFlightLimiter l = limiter;
        if (l != null) {
            l.refreshLimit(this::limitInForce);
        }
    }

    private void recomputeLocked() {
        int ownedCount = 0;
        int total = 0;
        for (Map.Entry<String, Set<Integer>> e : owned.entrySet()) {
            ownedCount += e.getValue().size();
            Integer known = partitions.get(e.getKey());
            total += known == null ? 0 : Math.max(known, e.getValue().size());
        }
        double newShare = ownedCount == 0 ? 0.0 : total == 0 ? 1.0 : Math.min(1.0, (double) ownedCount / total);
        if (newShare == share && (bucket != null || quotaRps <= 0 || newShare == 0)) {
            return;
        }
        share = newShare;
        if (quotaMaxInFlight > 0) {
            concurrencyShare = ownedCount == 0 ? 1 : Math.max(1, (int) Math.floor(quotaMaxInFlight * newShare));
        }
        if (quotaRps > 0) {
            rateShare = quotaRps * newShare;
            bucket = newShare == 0 ? null : bucketOf(rateShare);
        }
        LOG.info(
                "Share of the API quota: {} of {} input partitions ({}){}{}",
                ownedCount,
                total,
                String.format(Locale.ROOT, "%.3f", newShare),
                quotaRps > 0 ? String.format(Locale.ROOT, ", %.2f requests/s", rateShare) : "",
                quotaMaxInFlight > 0 ? ", " + concurrencyShare + " calls in flight" : "");
    }

    /** A token bucket of {@code rate} per second, starting empty, holding at most {@value #BURST_SECONDS} s of it. */
    static Bucket bucketOf(double rate) {
        long perPeriod = Math.max(1, Math.round(rate * REFILL_PERIOD.toSeconds()));
        long capacity = Math.max(1, (long) Math.ceil(rate * BURST_SECONDS));
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity)
                        .refillGreedy(perPeriod, REFILL_PERIOD)
                        .initialTokens(0))
                .withNanosecondPrecision()
                .build();
    }

    /** The limit in force: the smallest of the ceiling, the adaptive limit and the concurrency share. */
    int limitInForce() {
        int limit = ceiling;
        if (adaptive != null) {
            limit = Math.min(limit, adaptive.limit());
        }
        if (quotaMaxInFlight > 0) {
            limit = Math.min(limit, concurrencyShare);
        }
        return Math.max(1, limit);
    }

    /** The adaptive limit now, or the ceiling when adaptive is off. */
    int adaptiveLimit() {
        return adaptive == null ? ceiling : adaptive.limit();
    }

    /** This instance's share of the quota: owned / all input partitions (1 without a quota). */
    double share() {
        return share;
    }

    /** The requests per second this instance may start (0 without a rate quota). */
    double rateShare() {
        return quotaRps > 0 ? rateShare : 0.0;
    }

    /** Total time paused by Retry-After, in seconds. */
    double pausedSeconds() {
        return pausedNanos.sum() / (double) TimeUnit.SECONDS.toNanos(1);
    }

    /** Starts held back by a Retry-After pause (each try counted). */
    long heldByPause() {
        return heldByPause.sum();
    }

    /** Starts held back by the rate share (each try counted). */
    long heldByRate() {
        return heldByRate.sum();
    }
}
