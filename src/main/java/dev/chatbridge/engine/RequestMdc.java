package dev.chatbridge.engine;

import dev.chatbridge.events.ChatRequest;
import org.slf4j.MDC;

/**
 * Runs request-scoped log lines with the request's id and its conversation's {@code threadId} in the logging MDC, and
 * restores what was there before, on the calling thread. The MDC is per JVM thread, so a scope never outlives the block
 * and never crosses a hand-off to another thread.
 *
 * <p>Only identifiers go into the MDC, never prompt or answer text, account or API key. They come from producers, so
 * they are escaped and cut first ({@link LogSafe}).
 */
final class RequestMdc {

    /** MDC key of the request id. */
    static final String REQUEST_ID = "requestId";
    /** MDC key of the conversation's {@code threadId} (absent for single-turn requests). */
    static final String THREAD_ID = "threadId";

    private RequestMdc() {}

    /** Runs {@code logLines} with the request's ids in the MDC. */
    static void run(ChatRequest request, Runnable logLines) {
        String previousRequestId = MDC.get(REQUEST_ID);
        String previousThreadId = MDC.get(THREAD_ID);
        set(REQUEST_ID, LogSafe.text(request.getRequestId()));
        set(THREAD_ID, LogSafe.text(request.getThreadId()));
        try {
            logLines.run();
        } finally {
            set(REQUEST_ID, previousRequestId);
            set(THREAD_ID, previousThreadId);
        }
    }

    private static void set(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
