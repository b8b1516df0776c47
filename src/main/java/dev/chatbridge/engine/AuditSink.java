package dev.chatbridge.engine;

/**
 * Where the engine records its {@link AuditEvent}s. Called on the threads that complete calls (Netty, timers) and on
 * stream threads (cancellations): implementations must be thread-safe, must not block for long, and must not throw.
 */
@FunctionalInterface
public interface AuditSink {

    /** Records one event. */
    void record(AuditEvent event);

    /** A sink that keeps nothing. */
    AuditSink NONE = event -> {};
}
