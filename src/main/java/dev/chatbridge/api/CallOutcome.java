package dev.chatbridge.api;

import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.time.Duration;
import java.util.Objects;

/**
 * What one call of {@code POST /chats/v2} came to. Business failures are values of this type,
 * never exceptions: the engine routes each kind (../shared/design/engine.md, "Failure taxonomy").
 *
 * <ul>
 *   <li>{@link Success}: a 200 whose body was parsed into a complete answer.</li>
 *   <li>{@link PermanentFailure}: the request itself is at fault or the answer is unusable;
 *       retrying cannot help, the request becomes a dead letter.</li>
 *   <li>{@link RetriableFailure}: a transient failure (408, 425, 429, 5xx, connect error, reset,
 *       timeout, broken stream); the engine retries within its budget.</li>
 *   <li>{@link OperatorFailure}: the deployment is at fault (401/403 key, 404 base path); no dead
 *       letter, the engine pauses dispatching until the API accepts calls again.</li>
 * </ul>
 *
 * <p>No variant ever carries the API key.
 */
public sealed interface CallOutcome
        permits CallOutcome.Success, CallOutcome.PermanentFailure, CallOutcome.RetriableFailure,
                CallOutcome.OperatorFailure {

    /** A complete answer. */
    record Success(ChatAnswer answer) implements CallOutcome {
        public Success {
            Objects.requireNonNull(answer, "answer");
        }
    }

    /**
     * A failure that retrying cannot fix.
     *
     * @param reason     the dead-letter reason ({@code BAD_REQUEST}, {@code REJECTED},
     *                   {@code UNPARSEABLE_RESPONSE}, {@code IMPERSONATION_DENIED}, ...)
     * @param httpStatus the status of the answer, or null when there was none
     * @param problem    the problem details of a 400 (every member kept), or null
     * @param excerpt    a bounded excerpt of the body when it was not problem details, or null
     * @param message    what went wrong, for a human
     */
    record PermanentFailure(
            DeadLetterReason reason, Integer httpStatus, ProblemDetails problem, String excerpt, String message)
            implements CallOutcome {
        public PermanentFailure {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * A transient failure.
     *
     * @param cause      what kind of transient failure, as a type (metrics and policy never parse
     *                   the message)
     * @param httpStatus the status of the answer, or null for connect errors, resets and timeouts
     * @param retryAfter the server's {@code Retry-After}, or null when it gave none
     * @param excerpt    a bounded excerpt of the body, or null
     * @param message    what went wrong, for a human
     */
    record RetriableFailure(RetryCause cause, Integer httpStatus, Duration retryAfter, String excerpt, String message)
            implements CallOutcome {
        public RetriableFailure {
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(message, "message");
        }

        /** A failure whose cause follows from the status alone: {@code STATUS} with one, else {@code OTHER}. */
        public RetriableFailure(Integer httpStatus, Duration retryAfter, String excerpt, String message) {
            this(httpStatus == null ? RetryCause.OTHER : RetryCause.STATUS, httpStatus, retryAfter, excerpt, message);
        }
    }

    /** The kind of a transient failure. */
    enum RetryCause {
        /** The API answered with a transient status (408, 425, 429, 5xx); see {@code httpStatus}. */
        STATUS,
        /** A 2xx event stream broke before its end. */
        BROKEN_STREAM,
        /** A time limit passed: connect, first byte, idle gap, attempt deadline, pool acquisition. */
        TIMEOUT,
        /** No connection could be made. */
        CONNECT,
        /** The connection closed or failed mid-exchange. */
        RESET,
        /** Anything else (an unexpected client failure). */
        OTHER
    }

    /**
     * The API refused the deployment, not the request (bad or revoked key, wrong base URL).
     *
     * @param httpStatus 401, 403 or 404
     * @param message    what went wrong and what the operator should check
     */
    record OperatorFailure(int httpStatus, String message) implements CallOutcome {
        public OperatorFailure {
            Objects.requireNonNull(message, "message");
        }
    }
}
