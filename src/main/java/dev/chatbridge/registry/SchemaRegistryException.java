package dev.chatbridge.registry;

/**
 * A registry call that failed: an error answer ({@code {"error_code":…, "message":…}}), or no answer at all after the
 * client's bounded retries.
 *
 * <p>{@link #errorCode()} is Confluent's code (for example 40401 subject not found, 40403 schema not found, 409
 * incompatible, 42201 invalid schema), or -1 when the registry gave none (unreachable, timed out, or a body that is not
 * a registry error).
 */
public class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Confluent's code for "subject not found". */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent's code for "version not found". */
    public static final int VERSION_NOT_FOUND = 40402;
    /** Confluent's code for "schema not found". */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent's code for "schema incompatible with an earlier version". */
    public static final int INCOMPATIBLE_SCHEMA = 409;
    /** Confluent's code for "invalid schema". */
    public static final int INVALID_SCHEMA = 42201;
    /** No error code: the registry could not be reached or gave no registry error body. */
    public static final int NO_ERROR_CODE = -1;
    /**
     * Not Confluent's: the client's own code for a successful answer larger than it reads (one schema's answer is
     * bounded), so the schema cannot be used. Asking again does not help.
     */
    public static final int ANSWER_TOO_LARGE = -2;

    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(String message, int httpStatus, int errorCode) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** A failure with an answer's status and code, caused by another exception. */
    public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = 0;
        this.errorCode = NO_ERROR_CODE;
    }

    /** HTTP status of the registry's answer; 0 when there was no answer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent's error code, or {@link #NO_ERROR_CODE}. */
    public int errorCode() {
        return errorCode;
    }

    /** Whether the registry says the schema (or its subject) does not exist: 40403, 40401, or a 404 answer. */
    public boolean isNotFound() {
        return errorCode == SCHEMA_NOT_FOUND || errorCode == SUBJECT_NOT_FOUND || httpStatus == 404;
    }

    /**
     * Whether the failure is the registry's or the way to it, not the request's: no answer, 401 or 403 (credentials,
     * which an operator fixes), 408 or 429 (slow down) or 5xx. Asking again later may succeed, so a record that needs
     * the answer should wait rather than be given up.
     */
    public boolean isUnavailable() {
        if (errorCode == ANSWER_TOO_LARGE) {
            return false;
        }
        return httpStatus == 0
                || httpStatus == 401
                || httpStatus == 403
                || httpStatus == 408
                || httpStatus == 429
                || httpStatus >= 500;
    }
}
