package dev.chatbridge.devtools.bench;

/** A benchmark that cannot go on: its message says what failed, for the user. */
final class BenchException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BenchException(String message) {
        super(message);
    }

    BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
