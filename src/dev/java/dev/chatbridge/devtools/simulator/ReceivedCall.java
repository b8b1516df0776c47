package dev.chatbridge.devtools.simulator;

/**
 * One call as the simulator received it, in a thread's arrival order.
 *
 * @param correlationId the client's {@code X-Request-Id}, or null when it sent none
 * @param requestId the simulator's own id for the call (the answer's {@code requestId})
 * @param text the text of the last message (may be null)
 * @param account the {@code unleash-account} header, or null
 */
public record ReceivedCall(String correlationId, String requestId, String text, String account) {}
