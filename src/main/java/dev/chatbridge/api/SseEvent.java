package dev.chatbridge.api;

import java.util.Objects;

/**
 * One dispatched server-sent event (WHATWG HTML, "Server-sent events").
 *
 * @param type the {@code event} field, or {@code "message"} when the event set none
 * @param data every {@code data} line of the event, joined with {@code \n}
 * @param id the last event id in force when the event was dispatched ("" when none was set)
 * @param retry the last valid {@code retry} field of this event's block, in milliseconds, or null
 */
public record SseEvent(String type, String data, String id, Long retry) {

    public SseEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(id, "id");
    }
}
