package dev.chatbridge.devtools.simulator;

import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simulated API's quotas, shared by every caller of the simulator (a deployment-wide quota, as an API key's): a
 * Retry-After burst switch, a limit of calls in progress and a rate of calls admitted per second, checked in that order
 * for every call that passed the key check; and the load-dependent latency (a queueing model) they feed.
 *
 * <p>Concurrency: a call holds one of {@code maxConcurrent} slots from its admission until it ends (answered, failed,
 * or its client gone); the count is exact (a compare-and-set loop, no overshoot). Rate: a token bucket (bucket4j) of
 * {@code maxRequestsPerSecond} tokens refilled greedily at that rate, so at most {@code R * (1 + T)} calls are admitted
 * in any T seconds and R per second over a long run; a call turned away by the concurrency limit takes no token. A
 * burst refuses the next N calls whatever the load and takes neither a slot nor a token.
 *
 * <p>Queueing: time to first byte = sampled latency × {@link #queueingFactor(int, int)} of the calls admitted and in
 * progress when the call's latency is drawn (itself included).
 *
 * <p>Threading: called from Netty event-loop and Reactor timer threads; the slot count is atomic, the bucket is
 * thread-safe (bucket4j's lock-free local bucket), the burst is guarded by this object's monitor.
 */
final class Quotas {

    /** The largest factor the queueing model multiplies a latency by. */
    static final double MAX_QUEUEING_FACTOR = 10.0;

    /** Why a call was turned away; {@link #key} names it in the counters. */
    enum Cause {
        CONCURRENCY("concurrency"),
        RATE("rate"),
        BURST("burst");

        final String key;

        Cause(String key) {
            this.key = key;
        }
    }

    /** A call turned away: its cause, the {@code Retry-After} seconds to send and the problem's detail. */
    record Refusal(Cause cause, int retryAfterSeconds, String detail) {}

    private final int maxConcurrent;
    private final int maxRequestsPerSecond;
    private final int retryAfterSeconds;
    private final int queueingCapacity;
    private final Bucket bucket;
    private final AtomicInteger inProgress = new AtomicInteger();
    private int burstCalls;
    private int burstRetryAfterSeconds;

    Quotas(SimulatorConfig config) {
        this.maxConcurrent = config.maxConcurrent();
        this.maxRequestsPerSecond = config.maxRequestsPerSecond();
        this.retryAfterSeconds = config.retryAfterSeconds();
        this.queueingCapacity = config.queueingCapacity();
        this.bucket = maxRequestsPerSecond == 0
                ? null
                : Bucket.builder()
                        .addLimit(limit -> limit.capacity(maxRequestsPerSecond)
                                .refillGreedy(maxRequestsPerSecond, Duration.ofSeconds(1)))
                        .withNanosecondPrecision()
                        .build();
        this.burstCalls = config.burstCalls();
        this.burstRetryAfterSeconds = config.burstRetryAfterSeconds();
    }

    /**
     * Admits a call or turns it away. When admitted (empty), the call holds a slot until {@link Hold#release()}:
     * {@code hold} is marked so, and the slot is given back at once if the hold was already released (the call ended
     * while being admitted).
     */
    Optional<Refusal> admit(Hold hold) {
        Refusal burst = takeBurst();
        if (burst != null) {
            return Optional.of(burst);
        }
        int n;
        do {
            n = inProgress.get();
            if (maxConcurrent > 0 && n >= maxConcurrent) {
                return Optional.of(new Refusal(
                        Cause.CONCURRENCY,
                        retryAfterSeconds,
                        "Too many calls in progress (at most " + maxConcurrent + " at once). Try again later."));
            }
        } while (!inProgress.compareAndSet(n, n + 1));
        if (bucket != null && !bucket.tryConsume(1)) {
            inProgress.decrementAndGet();
            return Optional.of(new Refusal(
                    Cause.RATE,
                    retryAfterSeconds,
                    "Rate limit exceeded (" + maxRequestsPerSecond + " requests per second). Try again later."));
        }
        hold.admitted();
        return Optional.empty();
    }

    /** The next {@code calls} calls get 429 with {@code Retry-After: retryAfterSeconds} (replaces a running burst). */
    synchronized void startBurst(int calls, int retryAfterSeconds) {
        if (calls < 0 || retryAfterSeconds < 0) {
            throw new IllegalArgumentException("burst calls and Retry-After must not be negative");
        }
        this.burstCalls = calls;
        this.burstRetryAfterSeconds = retryAfterSeconds;
    }

    /** Calls the running burst will still refuse. */
    synchronized int burstCallsLeft() {
        return burstCalls;
    }

    private synchronized Refusal takeBurst() {
        if (burstCalls == 0) {
            return null;
        }
        burstCalls--;
        return new Refusal(Cause.BURST, burstRetryAfterSeconds, "Rate limit exceeded. Try again later.");
    }

    /** The latency to use for a call admitted now whose sampled latency is {@code sampled}. */
    Duration queued(Duration sampled) {
        if (queueingCapacity == 0 || sampled.isZero()) {
            return sampled;
        }
        double factor = queueingFactor(inProgress.get(), queueingCapacity);
        return Duration.ofNanos((long) (sampled.toNanos() * factor));
    }

    /**
     * {@code min(10, 1 + max(0, inProgress - capacity) / capacity)}: 1 up to {@code capacity} calls in progress (the
     * API's servers are all busy, none waits), then one more latency for every {@code capacity} calls beyond it (the
     * waiting ones queue behind them), capped at {@link #MAX_QUEUEING_FACTOR}. Monotonic in {@code inProgress}.
     */
    static double queueingFactor(int inProgress, int capacity) {
        if (capacity <= 0) {
            return 1.0;
        }
        double factor = 1.0 + Math.max(0, inProgress - capacity) / (double) capacity;
        return Math.min(MAX_QUEUEING_FACTOR, factor);
    }

    /** Calls admitted and in progress now. */
    int inProgress() {
        return inProgress.get();
    }

    /** A new hold for one call. */
    Hold hold() {
        return new Hold();
    }

    /**
     * One call's claim on a slot: released exactly once, by the call's end, whether that comes before or after its
     * admission (a client may leave while the call is being admitted on another thread).
     */
    final class Hold {
        private static final int OPEN = 0;
        private static final int ADMITTED = 1;
        private static final int RELEASED = 2;
        private final AtomicInteger state = new AtomicInteger(OPEN);

        private Hold() {}

        private void admitted() {
            if (!state.compareAndSet(OPEN, ADMITTED)) {
                inProgress.decrementAndGet();
            }
        }

        /** The call ended: gives its slot back if it held one. Idempotent. */
        void release() {
            if (state.getAndSet(RELEASED) == ADMITTED) {
                inProgress.decrementAndGet();
            }
        }
    }
}
