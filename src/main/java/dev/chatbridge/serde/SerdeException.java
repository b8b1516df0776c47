package dev.chatbridge.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The one exception the chat-bridge serde throws for bytes it cannot turn into a record, or a record it cannot turn
 * into bytes. The engine routes it to an {@code UNDECODABLE_INPUT} dead letter; {@link #kind()} says what was wrong
 * without parsing the message.
 *
 * <p>Messages name the topic, the schema id where known, and what to check; they never carry registry credentials or
 * record contents.
 */
public class SerdeException extends SerializationException {

    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Kind {
        /** The first byte is not the Confluent wire format's magic byte 0. */
        BAD_MAGIC_BYTE,
        /**
         * Fewer bytes than the 5-byte header, or an Avro body that ends early, or that claims a length or item count
         * larger than the bytes left (checked before anything is allocated).
         */
        TRUNCATED,
        /** The Avro body does not decode with its writer schema (corrupt, or bytes left over). */
        CORRUPT_PAYLOAD,
        /** The registry does not know the schema id the bytes carry. */
        UNKNOWN_SCHEMA_ID,
        /** The writer schema cannot be read as the reader schema (incompatible change). */
        INCOMPATIBLE_SCHEMA,
        /** The registry refused the schema or its subject (serializing) or gave another error. */
        REGISTRY_ERROR,
        /**
         * The registry could not be reached, refused the client (401, 403), asked it to slow down (408, 429), failed
         * (5xx), or the client is failing fast during an outage. Not the record's fault: the engine makes input wait
         * and reads the record again later.
         */
        REGISTRY_UNAVAILABLE,
        /**
         * The writer schema cannot be used: the registry's answer for it is larger than the client's bound, or it is
         * nested too deeply to parse or resolve. Retrying does not help.
         */
        SCHEMA_TOO_LARGE,
        /**
         * The Avro body is over the configured Avro limits ({@link AvroLimits}: string or bytes length, items in a
         * collection or in the whole record) or nested too deeply to decode.
         */
        LIMIT_EXCEEDED
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
