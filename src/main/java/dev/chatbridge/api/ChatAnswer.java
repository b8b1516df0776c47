package dev.chatbridge.api;

import dev.chatbridge.events.Reference;
import dev.chatbridge.events.ToolCall;
import dev.chatbridge.events.ToolEvent;
import java.util.List;
import java.util.Objects;

/**
 * One complete answer of {@code POST /chats/v2}: every object of a JSON answer or of every SSE event, aggregated in
 * order. Nothing the API sent is dropped (unknown members aside).
 *
 * @param text every {@code text} piece, concatenated in order ("" when none)
 * @param toolCalls every {@code toolCalls} item, in order
 * @param references every {@code reference} object, in order
 * @param sourcesIds every id of every {@code sources} object, in order
 * @param toolEvents every {@code tool} object, in order, with the text offset at which it came
 * @param apiRequestId the API's own {@code requestId} (the last non-null one), or null
 */
public record ChatAnswer(
        String text,
        List<ToolCall> toolCalls,
        List<Reference> references,
        List<String> sourcesIds,
        List<ToolEvent> toolEvents,
        String apiRequestId) {

    public ChatAnswer {
        Objects.requireNonNull(text, "text");
        toolCalls = List.copyOf(toolCalls);
        references = List.copyOf(references);
        sourcesIds = List.copyOf(sourcesIds);
        toolEvents = List.copyOf(toolEvents);
    }
}
