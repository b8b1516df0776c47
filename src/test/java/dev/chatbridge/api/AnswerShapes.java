package dev.chatbridge.api;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The worst answer shapes for the heap, as bodies of about {@code size} bytes: the many-small-items shapes (each item a
 * few bytes but a whole object on the heap), huge text (one string token, Latin-1 and UTF-16), deep-ish nesting, many
 * distinct unknown names and many SSE events. Used by {@link AnswerHeapProbe} (the measured heap per answer byte) and
 * {@code AnswerHeapIT}.
 */
final class AnswerShapes {

    /** One shape: its name, whether it is an event stream, and its body. */
    record Shape(String name, boolean sse, byte[] body) {}

    private AnswerShapes() {}

    static List<Shape> all(int size) {
        return List.of(
                json("toolCalls of {}", "{\"toolCalls\":[", "{}", ",", "]}", size),
                json(
                        "toolCalls with five empty strings",
                        "{\"toolCalls\":[",
                        "{\"id\":\"\",\"name\":\"\",\"type\":\"\",\"callId\":\"\",\"arguments\":\"\"}",
                        ",",
                        "]}",
                        size),
                sse("SSE events of one-id references", "{\"reference\":{\"referenceIds\":[\"r\"]}}", size),
                sse(
                        "SSE events of 999 sourcesIds",
                        "{\"sources\":{\"sourcesIds\":[" + "\"s\",".repeat(998) + "\"s\"]}}",
                        size),
                sse(
                        "SSE events of tool results {}",
                        "{\"tool\":{\"response\":{\"resources\":{\"enterprise\":{\"results\":[" + "{},".repeat(998)
                                + "{}]}}}}}",
                        size),
                sse(
                        "SSE events of custom [1,...]",
                        "{\"tool\":{\"response\":{\"resources\":{\"custom\":{\"a\":[" + "1,".repeat(4_990) + "1]}}}}}",
                        size),
                sse(
                        "SSE events of rich tool objects",
                        "{\"tool\":{\"toolCallStatus\":{\"toolCallId\":\"\","
                                + "\"status\":\"\"},\"toolStep\":{\"stepDescription\":\"\",\"toolId\":\"\"},"
                                + "\"response\":{\"name\":\"\",\"toolId\":\"\",\"resources\":{\"custom\":{}}}}}",
                        size),
                text("one huge Latin-1 text", "", size),
                sse(
                        "one SSE event of text with one emoji",
                        "{\"text\":\"\uD83D\uDE00" + "x".repeat(size - 40) + "\"}",
                        size),
                text("one huge text with one emoji", "\uD83D\uDE00", size),
                sse("SSE events of text \"x\"", "{\"text\":\"x\"}", size),
                sse("SSE events of {}", "{}", size),
                json(
                        "deep-ish nesting (depth 60, repeated)",
                        "{\"text\":\"t\",\"x\":[",
                        "[".repeat(59) + "1" + "]".repeat(59),
                        ",",
                        "]}",
                        size),
                names("distinct unknown names", size));
    }

    private static Shape json(String name, String head, String item, String separator, String tail, int size) {
        StringBuilder body = new StringBuilder(size).append(head);
        boolean first = true;
        while (body.length() + separator.length() + item.length() + tail.length() <= size) {
            body.append(first ? "" : separator).append(item);
            first = false;
        }
        return new Shape(name, false, body.append(tail).toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Shape sse(String name, String data, int size) {
        String event = "data:" + data + "\n\n";
        StringBuilder body = new StringBuilder(size);
        while (body.length() + event.length() <= size) {
            body.append(event);
        }
        return new Shape(name, true, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Shape text(String name, String extra, int size) {
        int extraBytes = extra.getBytes(StandardCharsets.UTF_8).length;
        String body = "{\"text\":\"" + extra + "x".repeat(size - 11 - extraBytes) + "\"}";
        return new Shape(name, false, body.getBytes(StandardCharsets.UTF_8));
    }

    private static Shape names(String name, int size) {
        StringBuilder body = new StringBuilder(size).append("{\"text\":\"t\"");
        for (int i = 0; body.length() + 20 < size; i++) {
            body.append(",\"k").append(i).append("\":0");
        }
        return new Shape(name, false, body.append('}').toString().getBytes(StandardCharsets.UTF_8));
    }
}
