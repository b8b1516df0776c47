package dev.chatbridge.devtools.simulator;

/**
 * When one call of {@code POST /chats/v2} was served, on the simulator JVM's {@link System#nanoTime()} clock (recorded
 * only when {@link SimulatorConfig.Builder#callTimings} is on).
 *
 * @param correlationId the call's {@code X-Request-Id}, or null
 * @param threadKey the thread key as in {@link SimulatorStats#threads()}, or null for a call refused before its body
 *     was read
 * @param outcome the HTTP status or fault kind, as in {@link SimulatorStats#callsByStatus()}
 * @param startNanos the call arrived (before its body was read)
 * @param endNanos the call finished: its answer was written, or it was cut
 */
public record CallTiming(String correlationId, String threadKey, String outcome, long startNanos, long endNanos) {}
