package dev.chatbridge.app;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.chatbridge.engine.AuditEvent;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The JSON form of an {@link AuditEvent}: one object, members in a fixed order, nulls left out, {@code at} as an
 * ISO-8601 instant. The same text goes to the audit log and the audit topic. Stateless and thread-safe.
 */
final class AuditJson {

    private static final JsonFactory JSON = new JsonFactory();

    private AuditJson() {}

    static String of(AuditEvent e) {
        StringWriter out = new StringWriter(384);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("audit", e.kind());
            text(json, "requestId", e.requestId());
            text(json, "apiRequestId", e.apiRequestId());
            text(json, "account", e.account());
            text(json, "assistantId", e.assistantId());
            text(json, "threadId", e.threadId());
            text(json, "topic", e.topic());
            if (e.partition() >= 0) {
                json.writeNumberField("partition", e.partition());
            }
            if (e.offset() >= 0) {
                json.writeNumberField("offset", e.offset());
            }
            text(json, "producer", e.producer());
            if (e.status() != null) {
                json.writeNumberField("status", e.status());
            }
            json.writeStringField("result", e.result());
            text(json, "reason", e.reason());
            json.writeNumberField("attempt", e.attempt());
            json.writeNumberField("durationMs", e.durationMs());
            json.writeStringField("at", e.at().toString());
            json.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException("writing JSON to memory failed", ex);
        }
        return out.toString();
    }

    private static void text(JsonGenerator json, String name, String value) throws IOException {
        if (value != null) {
            json.writeStringField(name, value);
        }
    }
}
