package dev.chatbridge.engine;

import dev.chatbridge.api.ChatAnswer;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

/** Builds the output events from a request and what became of it. Stateless. */
final class Outcomes {

    /** Characters of answer text kept in a RESPONSE_TOO_LARGE dead letter. */
    static final int TOO_LARGE_EXCERPT_CHARS = 1000;

    private Outcomes() {}

    static ChatResponse response(
            ChatRequest request, ChatAnswer answer, int attempts, long latencyMs, Instant completedAt) {
        return ChatResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .setThreadId(request.getThreadId())
                .setAssistantId(request.getAssistantId())
                .setAccount(request.getAccount())
                .setMetadata(request.getMetadata())
                .setText(answer.text())
                .setToolCalls(answer.toolCalls())
                .setReferences(answer.references())
                .setSourcesIds(answer.sourcesIds())
                .setToolEvents(answer.toolEvents())
                .setApiRequestId(answer.apiRequestId())
                .setAttempts(attempts)
                .setLatencyMs(Math.max(0, latencyMs))
                .setCompletedAt(completedAt)
                .build();
    }

    static ChatDeadLetter deadLetter(
            ChatRequest request,
            DeadLetterReason reason,
            Integer httpStatus,
            ProblemDetails problem,
            String excerpt,
            String message,
            int attempts,
            Instant failedAt) {
        return ChatDeadLetter.newBuilder()
                .setRequestId(request.getRequestId())
                .setThreadId(request.getThreadId())
                .setReason(reason)
                .setHttpStatus(httpStatus)
                .setProblem(problem)
                .setResponseExcerpt(excerpt)
                .setMessage(OutcomeWriter.cut(message))
                .setAttempts(attempts)
                .setRequest(request)
                .setFailedAt(failedAt)
                .build();
    }

    /**
     * The dead letter with what is known of its input record: source coordinates, sizes and the value's hash, and the
     * raw key and value when given (undecodable input).
     */
    static ChatDeadLetter withInput(
            ChatDeadLetter deadLetter,
            String topic,
            InputFacts input,
            byte[] rawKey,
            byte[] rawValue,
            byte[] valueForHash) {
        ChatDeadLetter.Builder b = ChatDeadLetter.newBuilder(deadLetter);
        if (input.offset() >= 0) {
            b.setSourceTopic(topic).setSourcePartition(input.partition()).setSourceOffset(input.offset());
        }
        return b.setRawKeySize(input.keySize() < 0 ? null : input.keySize())
                .setRawValueSize(input.valueSize() < 0 ? null : input.valueSize())
                .setRawValueSha256(input.hashOf(valueForHash))
                .setRawKey(rawKey == null ? null : ByteBuffer.wrap(rawKey))
                .setRawValue(rawValue == null ? null : ByteBuffer.wrap(rawValue))
                .build();
    }

    /** The dead letter for input that is not a ChatRequest (or a null value). */
    static ChatDeadLetter undecodable(String message, Instant failedAt) {
        return ChatDeadLetter.newBuilder()
                .setReason(DeadLetterReason.UNDECODABLE_INPUT)
                .setMessage(OutcomeWriter.cut(message))
                .setAttempts(0)
                .setFailedAt(failedAt)
                .build();
    }

    /**
     * The dead letter for a request refused before any call; {@code request} is null when it was too large to keep, and
     * {@code omitted} then says so.
     */
    static ChatDeadLetter refused(
            ChatRequest request, String requestId, String threadId, String problem, Instant failedAt) {
        return refused(
                request,
                requestId,
                threadId,
                DeadLetterReason.INVALID_REQUEST,
                "request refused before any call: " + problem,
                failedAt);
    }

    /** The dead letter of a request the impersonation policy denied before any call. */
    static ChatDeadLetter denied(
            ChatRequest request, String requestId, String threadId, String denial, Instant failedAt) {
        return refused(
                request,
                requestId,
                threadId,
                DeadLetterReason.IMPERSONATION_DENIED,
                "request denied by the request policy before any call: " + denial,
                failedAt);
    }

    private static ChatDeadLetter refused(
            ChatRequest request,
            String requestId,
            String threadId,
            DeadLetterReason reason,
            String message,
            Instant failedAt) {
        return ChatDeadLetter.newBuilder()
                .setRequestId(OutcomeWriter.cut(request != null ? request.getRequestId() : requestId))
                .setThreadId(OutcomeWriter.cut(request != null ? request.getThreadId() : threadId))
                .setReason(reason)
                .setMessage(OutcomeWriter.cut(message))
                .setAttempts(0)
                .setRequest(request)
                .setOmitted(request == null ? List.of("request") : List.of())
                .setFailedAt(failedAt)
                .build();
    }

    /** The dead letter for an answer whose event would be larger than the output topic accepts. */
    static ChatDeadLetter tooLarge(ChatRequest request, ChatResponse response, int size, int limit, Instant failedAt) {
        String text = response.getText();
        boolean cut = text.length() > TOO_LARGE_EXCERPT_CHARS;
        String excerpt = cut ? text.substring(0, TOO_LARGE_EXCERPT_CHARS) : text;
        String message = "the API answered, but the ChatResponse event is " + size + " bytes, more than "
                + EngineConfig.KEY_MAX_RESPONSE_BYTES + "=" + limit + "; no response was published and nothing was "
                + "truncated silently. responseExcerpt holds "
                + (cut
                        ? "only the first " + TOO_LARGE_EXCERPT_CHARS + " of " + text.length() + " characters"
                        : "all " + text.length() + " characters")
                + " of the answer text. Raise " + EngineConfig.KEY_MAX_RESPONSE_BYTES
                + " together with the producer max.request.size and the topic max.message.bytes to publish such answers.";
        return deadLetter(
                request,
                DeadLetterReason.RESPONSE_TOO_LARGE,
                200,
                null,
                excerpt,
                message,
                response.getAttempts(),
                failedAt);
    }
}
