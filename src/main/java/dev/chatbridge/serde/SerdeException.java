package dev.chatbridge.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The one exception the chat-bridge serde throws for bytes it cannot turn into a record, or a
 * record it cannot turn into bytes. The engine routes it to an {@code UNDECODABLE_INPUT} dead
 * letter; {@link #kind()} says what was wrong without parsing the message.
 *
 * <p>Messages name the topic, the schema id where known, and what to check; they never carry
 * registry credentials or record contents.
 */
public class SerdeException extends SerializationException {

    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Kind {
        /** The first byte is not the Confluent wire format's magic byte 0. */
        BAD_MAGIC_BYTE,
        /** Fewer bytes than the 5-byte header, or an Avro body that ends early. */
        TRUNCATED,
        /** The Avro body does not decode with its writer schema (corrupt, or bytes left over). */
        CORRUPT_PAYLOAD,
        /** The registry does not know the schema id the bytes carry. */
        UNKNOWN_SCHEMA_ID,
        /** The writer schema cannot be read as the reader schema (incompatible change). */
        INCOMPATIBLE_SCHEMA,
        /** The registry refused the schema or its subject (serializing) or gave another error. */
        REGISTRY_ERROR,
        /** The registry could not be reached within the client's bounded retries. */
        REGISTRY_UNAVAILABLE
    }

    private final Kind kind;

    public SerdeException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public SerdeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** What was wrong. */
    public Kind kind() {
        return kind;
    }
}
