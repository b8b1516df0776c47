package dev.chatbridge.serde;

import dev.chatbridge.registry.SchemaRegistryException;

/**
 * Turns registry failures into the serde's one exception type, keeping the registry's words: "not found" is
 * {@code UNKNOWN_SCHEMA_ID}; trouble with the registry or the way to it (no answer, 401, 403, 408, 429, 5xx) is
 * {@code REGISTRY_UNAVAILABLE}, which is not the record's fault; an answer too large to read is
 * {@code SCHEMA_TOO_LARGE}; anything else {@code REGISTRY_ERROR}.
 */
final class RegistryErrors {

    private RegistryErrors() {}

    static SerdeException translate(SchemaRegistryException e, String action) {
        SerdeException.Kind kind;
        if (e.errorCode() == SchemaRegistryException.ANSWER_TOO_LARGE) {
            kind = SerdeException.Kind.SCHEMA_TOO_LARGE;
        } else if (e.isNotFound()) {
            kind = SerdeException.Kind.UNKNOWN_SCHEMA_ID;
        } else if (e.isUnavailable()) {
            kind = SerdeException.Kind.REGISTRY_UNAVAILABLE;
        } else {
            kind = SerdeException.Kind.REGISTRY_ERROR;
        }
        return new SerdeException(kind, action + ": " + e.getMessage(), e);
    }
}
