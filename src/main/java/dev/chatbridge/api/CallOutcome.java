package dev.chatbridge.api;

import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.time.Duration;
import java.util.Objects;

/**
 * What one call of {@code POST /chats/v2} came to. Business failures are values of this type, never exceptions: the
 * engine routes each kind (docs/architecture.md, "What each API answer becomes").
 *
 * <ul>
 *   <li>{@link Success}: a 200 whose body was parsed into a complete answer.
 *   <li>{@link PermanentFailure}: the request itself is at fault or the answer is unusable; retrying cannot help, the
 *       request becomes a dead letter.
 *   <li>{@link RetriableFailure}: a transient failure (408, 425, 429, 5xx, connect error, reset, timeout, broken
 *       stream); the engine retries within its budget.
 *   <li>{@link Refused}: a 3xx, 401, 403 or 404. It may be the request's (an account the key may not impersonate, an
 *       assistant or thread that does not exist) or the deployment's (a revoked key, a wrong base URL); the engine asks
 *       {@link ChatApi#checkKey()} which, and never uses another user's request to find out.
 *   <li>{@link OperatorFailure}: a refusal that a key check confirmed as the deployment's; no dead letter, the engine
 *       pauses dispatching until a key check is accepted again.
 * </ul>
 *
 * <p>No variant ever carries the API key.
 */
public sealed interface CallOutcome
        permits CallOutcome.Success,
                CallOutcome.PermanentFailure,
                CallOutcome.RetriableFailure,
                CallOutcome.Refused,
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
     * @param reason the dead-letter reason ({@code BAD_REQUEST}, {@code REJECTED}, {@code UNPARSEABLE_RESPONSE},
     *     {@code IMPERSONATION_DENIED}, ...)
     * @param httpStatus the status of the answer, or null when there was none
     * @param problem the problem details of a 400 (every member kept), or null
     * @param excerpt a bounded excerpt of the body when it was not problem details, or null
     * @param message what went wrong, for a human
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
     * @param cause what kind of transient failure, as a type (metrics and policy never parse the message)
     * @param httpStatus the status of the answer, or null for connect errors, resets and timeouts
     * @param retryAfter the server's {@code Retry-After}, or null when it gave none
     * @param excerpt a bounded excerpt of the body, or null
     * @param message what went wrong, for a human
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
     * The API refused one call with a 3xx, 401, 403 or 404. Whose fault it is (this request's, or the deployment's) is
     * not known until a key check made after it answers: accepted, the refusal becomes this request's dead letter
     * ({@link #asDeadLetter}); refused too, the deployment is at fault and nothing is dead-lettered.
     *
     * @param httpStatus the status
     * @param suspect the likely cause, from the status, the problem details and what the call sent
     * @param problem the problem details of the answer (every member kept), or null
     * @param excerpt a bounded excerpt of the body when it was not problem details, or null
     * @param message what happened, naming the likely cause, for a human
     */
    record Refused(int httpStatus, Suspect suspect, ProblemDetails problem, String excerpt, String message)
            implements CallOutcome {
        public Refused {
            Objects.requireNonNull(suspect, "suspect");
            Objects.requireNonNull(message, "message");
        }

        /** The same refusal with its likely cause named. */
        public Refused naming(Suspect likely, String newMessage) {
            return new Refused(httpStatus, likely, problem, excerpt, newMessage);
        }

        /** This request's dead letter: the key check after the refusal was accepted. */
        public PermanentFailure asDeadLetter() {
            return new PermanentFailure(
                    suspect.reason(),
                    httpStatus,
                    problem,
                    excerpt,
                    message + "; a key check made after this refusal was accepted, so the refusal is this request's");
        }
    }

    /** The likely cause of a {@link Refused} call. */
    enum Suspect {
        /** Not classified yet. */
        UNKNOWN,
        /** The API key (401/403 on a call without an account and without a more precise hint). */
        KEY,
        /** The impersonated account: the call carried {@code unleash-account}, or the problem names it. */
        ACCOUNT,
        /** The assistant: the problem names the request's assistantId. */
        ASSISTANT,
        /** The conversation: the problem names the request's threadId. */
        THREAD,
        /** The endpoint: a 404 that names nothing of the request (a wrong base URL, if the key check agrees). */
        ENDPOINT,
        /** A redirect (a moved base URL, if the key check agrees). */
        REDIRECT;

        /** The dead-letter reason when the refusal turns out to be the request's own. */
        public DeadLetterReason reason() {
            return this == ACCOUNT ? DeadLetterReason.IMPERSONATION_DENIED : DeadLetterReason.REJECTED;
        }
    }

    /**
     * A refusal that a key check confirmed as the deployment's (a refused key, a missing endpoint, a redirect): the
     * request is not at fault.
     *
     * @param httpStatus the status the key check got (3xx, 401, 403, 404)
     * @param message what went wrong and what the operator should check
     */
    record OperatorFailure(int httpStatus, String message) implements CallOutcome {
        public OperatorFailure {
            Objects.requireNonNull(message, "message");
        }
    }
}
