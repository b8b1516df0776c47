package dev.chatbridge.engine;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.policy.ProducerIdentity;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * One call the instance made to the API, for the audit trail: who asked for what (ids, account, assistant, the producer
 * when a token proved it), where the request came from (topic, partition, offset), and how the call ended. Never a
 * prompt, an answer or the key.
 *
 * <p>Exactly one event is recorded per call: when it ends, or when it is cancelled (a task closing, a shutdown). Key
 * checks are calls too and are recorded with {@code kind} "key_check".
 *
 * @param kind "call" or "key_check"
 * @param requestId the request's id (the {@code X-Request-Id} sent), or the key check's id
 * @param apiRequestId the API's own id of the answer, when it sent one
 * @param account the impersonated account ({@code unleash-account}), or null
 * @param assistantId the assistant asked, or null for the API's default
 * @param threadId the conversation, or null
 * @param topic the topic the request was read from, or null (key checks)
 * @param partition its partition, or -1
 * @param offset its offset, or -1
 * @param producer the producer's verified identity ({@code issuer/subject} of its token), or null when unknown
 * @param status the HTTP status of the answer, or null when there was none (connect error, timeout, cancel)
 * @param result success, permanent, retriable, refused, cancelled; for key checks accepted, refused, unknown
 * @param reason the dead-letter reason, retry cause or likely refusal cause, or null
 * @param attempt the attempt number of this request (1 for the first call), 0 for key checks
 * @param durationMs how long the call took
 * @param at when it ended
 */
public record AuditEvent(
        String kind,
        String requestId,
        String apiRequestId,
        String account,
        String assistantId,
        String threadId,
        String topic,
        int partition,
        long offset,
        String producer,
        Integer status,
        String result,
        String reason,
        int attempt,
        long durationMs,
        Instant at) {

    /** The event of a request's call; a null {@code outcome} means the call was cancelled. */
    static AuditEvent ofCall(
            ChatRequest request,
            PendingEntry entry,
            String topic,
            int attempt,
            CallOutcome outcome,
            Duration took,
            Instant at) {
        String result;
        String reason = null;
        Integer status = null;
        String apiRequestId = null;
        if (outcome == null) {
            result = "cancelled";
        } else if (outcome instanceof CallOutcome.Success s) {
            result = "success";
            status = 200;
            apiRequestId = s.answer().apiRequestId();
        } else if (outcome instanceof CallOutcome.PermanentFailure p) {
            result = "permanent";
            reason = p.reason().name();
            status = p.httpStatus();
        } else if (outcome instanceof CallOutcome.RetriableFailure r) {
            result = "retriable";
            reason = r.cause().name();
            status = r.httpStatus();
        } else if (outcome instanceof CallOutcome.Refused r) {
            result = "refused";
            reason = r.suspect().name();
            status = r.httpStatus();
        } else {
            CallOutcome.OperatorFailure o = (CallOutcome.OperatorFailure) outcome;
            result = "refused";
            status = o.httpStatus();
        }
        return new AuditEvent(
                "call",
                request.getRequestId(),
                apiRequestId,
                request.getAccount(),
                request.getAssistantId(),
                request.getThreadId(),
                topic,
                entry.input().partition(),
                entry.input().offset(),
                producer(entry.producer()),
                status,
                result,
                reason,
                attempt,
                took.toMillis(),
                at);
    }

    /** {@code issuer/subject} of a verified token, or null. */
    private static String producer(String stored) {
        if (stored == null) {
            return null;
        }
        ProducerIdentity identity = ProducerIdentity.fromStored(stored);
        if (!identity.verified()) {
            return null;
        }
        return (identity.issuer() == null ? "" : identity.issuer()) + "/"
                + (identity.subject() == null ? "" : identity.subject());
    }

    /** The event of a key check. */
    static AuditEvent ofKeyCheck(KeyCheck check, Duration took, Instant at) {
        return new AuditEvent(
                "key_check",
                null,
                null,
                null,
                null,
                null,
                null,
                -1,
                -1L,
                null,
                check.httpStatus(),
                check.verdict().name().toLowerCase(Locale.ROOT),
                null,
                0,
                took.toMillis(),
                at);
    }
}
