package dev.chatbridge.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/** A schema as the registry holds it under a subject: its global id and its version in the subject. */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {

    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
