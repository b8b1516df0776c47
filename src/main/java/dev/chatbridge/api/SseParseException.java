package dev.chatbridge.api;

/** An event stream that cannot be parsed within its bounds (a line or an event too large). */
public final class SseParseException extends Exception {

    private static final long serialVersionUID = 1L;

    SseParseException(String message) {
        super(message);
    }
}
