package dev.chatbridge.serde;

import dev.chatbridge.registry.SchemaRegistryException;

/** Turns registry failures into the serde's one exception type, keeping the registry's words. */
final class RegistryErrors {

    private RegistryErrors() {
    }

    static SerdeException translate(SchemaRegistryException e, String action) {
        SerdeException.Kind kind;
        if (e.errorCode() == SchemaRegistryException.SCHEMA_NOT_FOUND
                || e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND) {
            kind = SerdeException.Kind.UNKNOWN_SCHEMA_ID;
        } else if (e.httpStatus() == 0 || e.httpStatus() >= 500) {
            kind = SerdeException.Kind.REGISTRY_UNAVAILABLE;
        } else {
            kind = SerdeException.Kind.REGISTRY_ERROR;
        }
        return new SerdeException(kind, action + ": " + e.getMessage(), e);
    }
}
