package dev.chatbridge.api;

/**
 * Item caps of one answer, on top of its byte limit ({@code chat.api.max.answer.bytes}). Bytes alone do not bound the
 * heap an answer takes: three bytes ({@code {},}) make a whole tool call, so a byte-limited answer can still hold
 * hundreds of thousands of objects. Passing a cap ends the call early as a RESPONSE_TOO_LARGE dead letter, like passing
 * the byte limit.
 *
 * <p>The defaults ({@link #DEFAULT}) are fixed, not settings: they are far above what a real answer carries, and the
 * heap figure per answer byte that the answer memory budget uses ({@link AnswerBudget#HEAP_BYTES_PER_ANSWER_BYTE}) was
 * measured with them; raising them would invalidate that figure. Tests may lower them.
 *
 * @param toolCalls {@code toolCalls} items, all objects together
 * @param references {@code reference} objects
 * @param sourcesIds ids of all {@code sources} objects together
 * @param toolEvents {@code tool} objects
 * @param toolResults enterprise results and web-search sources of all tool events together
 * @param itemValues JSON values (objects, arrays, scalars) inside one tool call, reference, sources or tool object: the
 *     bound of the one small tree built per item
 * @param sseEvents events of an event stream (each one answer object)
 */
public record AnswerCaps(
        int toolCalls, int references, int sourcesIds, int toolEvents, int toolResults, int itemValues, int sseEvents) {

    /** The caps chat-bridge runs with. */
    public static final AnswerCaps DEFAULT = new AnswerCaps(1_000, 1_000, 1_000, 1_000, 1_000, 5_000, 100_000);

    public AnswerCaps {
        atLeastOne(toolCalls, "toolCalls");
        atLeastOne(references, "references");
        atLeastOne(sourcesIds, "sourcesIds");
        atLeastOne(toolEvents, "toolEvents");
        atLeastOne(toolResults, "toolResults");
        atLeastOne(itemValues, "itemValues");
        atLeastOne(sseEvents, "sseEvents");
    }

    private static void atLeastOne(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException("answer cap " + name + " must be at least 1, was " + value);
        }
    }
}
