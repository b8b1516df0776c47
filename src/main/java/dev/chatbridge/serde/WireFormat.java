package dev.chatbridge.serde;

import java.nio.ByteBuffer;

/**
 * Confluent's wire format: magic byte {@code 0}, the schema's 4-byte big-endian global id, then the Avro binary
 * encoding of the record. Every Confluent-compatible serializer in any language reads and writes this framing, which is
 * what lets chat-bridge share topics with them.
 */
final class WireFormat {

    static final byte MAGIC_BYTE = 0;
    static final int HEADER_SIZE = 5;

    private WireFormat() {}

    /** Writes the header for the schema id into a buffer sized for the header plus the body. */
    static ByteBuffer header(int schemaId, int bodySize) {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_SIZE + bodySize);
        buffer.put(MAGIC_BYTE).putInt(schemaId);
        return buffer;
    }

    /**
     * Reads the schema id from framed bytes.
     *
     * @throws SerdeException {@code TRUNCATED} when there are fewer than 5 bytes, {@code BAD_MAGIC_BYTE} when the first
     *     byte is not 0
     */
    static int schemaId(String topic, byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new SerdeException(
                    SerdeException.Kind.TRUNCATED,
                    "Cannot decode a record of topic '" + topic
                            + "': " + data.length + " bytes, but Confluent-framed Avro has at least " + HEADER_SIZE
                            + " (magic byte and schema id). Was it written by a Confluent-compatible Avro serializer?");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerdeException(
                    SerdeException.Kind.BAD_MAGIC_BYTE,
                    String.format(
                            "Cannot decode a record of topic '%s': first byte is 0x%02x, expected the magic byte 0x00 of"
                                    + " Confluent's wire format. The producer did not use a Confluent-compatible Avro"
                                    + " serializer (plain JSON or raw Avro?).",
                            topic, data[0]));
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }
}
