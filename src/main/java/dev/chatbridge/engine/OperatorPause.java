package dev.chatbridge.engine;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this instance may call the API, shared by all its stream threads and tasks.
 *
 * <p>An operator failure (401/403 key, 404 base path) is the deployment's problem, not the
 * request's: dispatching stops for the whole instance, {@link #isReady()} turns false, and one
 * error is logged and counted per episode. After a backoff exactly one probe call is let
 * through; if the API accepts it (any outcome other than an operator failure), dispatching
 * resumes. Otherwise the backoff doubles, up to its cap, and the next probe waits for it.
 *
 * <p><b>Threading.</b> {@link #gate} is called by stream threads before each dispatch;
 * {@link #onOperatorFailure}, {@link #onAccepted} and {@link #probeEnded} by Netty threads (call
 * completions) and stream threads (cancellation). All state is guarded by this object's monitor;
 * nothing blocks.
 */
public final class OperatorPause {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorPause.class);

    /** What a dispatcher may do now. */
    enum Gate {
        /** Not paused: dispatch freely. */
        OPEN,
        /** Paused, backoff over: this one call is the probe. */
        PROBE,
        /** Paused: dispatch nothing. */
        CLOSED
    }

    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Clock clock;
    private boolean paused;
    private boolean probeInFlight;
    private Duration backoff;
    private long resumeProbeAtMillis;
    private long episodes;
    private boolean draining;

    /** A pause that starts open. */
    public OperatorPause(Duration initialBackoff, Duration maxBackoff, Clock clock) {
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.clock = clock;
        this.backoff = initialBackoff;
    }

    /** May a call be dispatched now? A {@link Gate#PROBE} answer must be followed by exactly one call or {@link #probeEnded}. */
    synchronized Gate gate() {
        if (draining) {
            return Gate.CLOSED;
        }
        if (!paused) {
            return Gate.OPEN;
        }
        if (probeInFlight || clock.millis() < resumeProbeAtMillis) {
            return Gate.CLOSED;
        }
        probeInFlight = true;
        return Gate.PROBE;
    }

    /** A call (probe or not) met an operator failure: pause, or extend the pause. */
    void onOperatorFailure(int httpStatus, String message, boolean wasProbe) {
        boolean newEpisode;
        synchronized (this) {
            newEpisode = !paused;
            if (newEpisode) {
                paused = true;
                episodes++;
                backoff = initialBackoff;
            } else if (wasProbe) {
                Duration doubled = backoff.multipliedBy(2);
                backoff = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
            }
            if (wasProbe) {
                probeInFlight = false;
            }
            resumeProbeAtMillis = clock.millis() + backoff.toMillis();
        }
        if (newEpisode) {
            LOG.error("API refused the deployment (HTTP {}): {}. Dispatching paused for the whole instance; "
                    + "probing again after {} ms. No dead letters are written; input waits as lag.",
                    httpStatus, message, backoff.toMillis());
        }
    }

    /** A call was accepted by the API (any outcome but an operator failure): a probe's success ends the pause. */
    void onAccepted(boolean wasProbe) {
        boolean resumed = false;
        synchronized (this) {
            if (wasProbe) {
                probeInFlight = false;
            }
            if (paused && wasProbe) {
                paused = false;
                backoff = initialBackoff;
                resumed = true;
            }
        }
        if (resumed) {
            LOG.info("API accepts calls again; dispatching resumed");
        }
    }

    /** A probe ended without an answer (cancelled, or never sent). */
    synchronized void probeEnded() {
        probeInFlight = false;
    }

    /** False while dispatching is paused by an operator failure (readiness). */
    public synchronized boolean isReady() {
        return !paused;
    }

    /**
     * Stops all further dispatching for good, for a graceful shutdown: calls in flight finish and
     * their outcomes are forwarded; requests not yet sent stay in the pending table for the next
     * owner of their task.
     */
    public synchronized void stopDispatching() {
        draining = true;
    }

    /** Episodes of operator failure so far (one per pause, however many calls failed in it). */
    public synchronized long episodes() {
        return episodes;
    }
}
