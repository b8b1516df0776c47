package dev.chatbridge.api;

/** A 200 body (or one SSE event of it) that is not a valid /chats/v2 answer object. */
final class AnswerParseException extends Exception {

    private static final long serialVersionUID = 1L;

    AnswerParseException(String message) {
        super(message);
    }

    AnswerParseException(String message, Throwable cause) {
        super(message, cause);
    }
}
