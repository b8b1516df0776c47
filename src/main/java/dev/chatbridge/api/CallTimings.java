package dev.chatbridge.api;

import java.time.Duration;

/**
 * Timings that {@link ChatClient} reports about its calls, for metrics; {@link #NONE} ignores them.
 *
 * <p><b>Threading.</b> Called on Netty event loops while a call runs: implementations must be thread-safe, must not
 * block and must never throw.
 */
@FunctionalInterface
public interface CallTimings {

    /** Reports nothing. */
    CallTimings NONE = elapsed -> {};

    /**
     * The first body byte of a 2xx answer arrived {@code elapsed} after the attempt started: for a streamed answer, the
     * time to its first event. Reported at most once per attempt.
     */
    void firstByte(Duration elapsed);
}
