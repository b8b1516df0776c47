package dev.chatbridge.api;

/** An answer that passed one of its {@link AnswerCaps}: it becomes a RESPONSE_TOO_LARGE dead letter. */
final class AnswerTooLargeException extends Exception {

    private static final long serialVersionUID = 1L;

    AnswerTooLargeException(String message) {
        super(message);
    }
}
