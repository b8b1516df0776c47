package dev.chatbridge.engine;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.events.DeadLetterReason;
import java.time.Duration;

/**
 * What the engine reports while it runs, for metrics. The engine knows only this interface; the observability component
 * implements it on Micrometer. Every method is a no-op by default, and {@link #NONE} reports nothing (unit tests,
 * tools).
 *
 * <p><b>Threading.</b> Methods are called from stream threads and from the threads that complete calls (Netty event
 * loops, timer threads), concurrently: implementations must be thread-safe, must not block and must never throw.
 */
public interface EngineMetrics {

    /** Reports nothing. */
    EngineMetrics NONE = new EngineMetrics() {};

    /**
     * A call was dispatched to the API (stream thread).
     *
     * @param queueWait how long its request waited from acceptance to this first dispatch, or null when unknown or not
     *     a first dispatch (a retry, or an entry re-loaded on init)
     */
    default void callStarted(Duration queueWait) {}

    /** A key check ended with {@code verdict}. */
    default void keyChecked(KeyCheck.Verdict verdict) {}

    /** A call ended with an outcome after {@code duration} (completing thread); cancelled calls are not reported. */
    default void callEnded(CallOutcome outcome, Duration duration) {}

    /** A retriable failure will be retried (stream thread). */
    default void retryScheduled(CallOutcome.RetriableFailure failure) {}

    /** A response was forwarded (stream thread). */
    default void responded() {}

    /** A dead letter was forwarded (stream thread). */
    default void deadLettered(DeadLetterReason reason) {}

    /**
     * The engine had to wait for the schema registry (stream thread): {@code step} is {@code decode} (input parked),
     * {@code dispatch} (a pending request could not be read) or {@code output} (an outcome could not be serialized).
     */
    default void registryWait(String step) {}

    /** An input record at or below the task's high-water mark was skipped as a replay (stream thread). */
    default void replaySkipped() {}

    /** A dead letter was over the size budget and left fields out (stream thread). */
    default void deadLetterShrunk() {}
}
