package dev.chatbridge.engine;

/**
 * How long the current stream thread may still wait for room before accepting a record.
 *
 * <p>A stream thread may spend at most {@code backpressureMaxWait} waiting between two punctuation rounds, whatever the
 * number of its tasks and records: Kafka Streams punctuates (and may commit) between its processing iterations, so this
 * bounds the time a thread spends away from {@code poll()} and the length of an open transaction (see
 * {@link EngineConfig#validateAgainst}). When the budget is spent, records are accepted without waiting until the next
 * punctuation: the pending bound may then be exceeded by the records of one processing iteration.
 *
 * <p><b>Threading.</b> One budget per stream thread (a {@link ThreadLocal} owned by the instance's
 * {@link EngineResources}, never static); only that thread reads or writes it.
 */
final class WaitBudget {

    private final long maxWaitNanos;
    private long spentNanos;

    WaitBudget(long maxWaitNanos) {
        this.maxWaitNanos = maxWaitNanos;
    }

    /** Nanoseconds this thread may still wait. */
    long remainingNanos() {
        return Math.max(0, maxWaitNanos - spentNanos);
    }

    void spend(long nanos) {
        spentNanos += nanos;
    }

    /** A punctuation round ran on this thread: the budget is whole again. */
    void reset() {
        spentNanos = 0;
    }
}
