package dev.chatbridge.engine;

import dev.chatbridge.events.ChatRequest;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A value of the pending table: an accepted request and how far its calls have got.
 *
 * @param request        the request, as accepted
 * @param attempts       calls that reached an outcome so far (0 before the first)
 * @param firstAttemptAt epoch millis when the first call started, or {@link #NONE}
 * @param notBefore      epoch millis before which the next call must not start (retry backoff), or {@link #NONE}
 */
record PendingEntry(ChatRequest request, int attempts, long firstAttemptAt, long notBefore) {

    static final long NONE = -1L;

    PendingEntry {
        Objects.requireNonNull(request, "request");
    }

    static PendingEntry accepted(ChatRequest request) {
        return new PendingEntry(request, 0, NONE, NONE);
    }

    /**
     * The stored form: {@code [version 1][int attempts][long firstAttemptAt][long notBefore][request]},
     * where the request is encoded with the requests topic's value serde, so a schema registry
     * serde keeps old entries readable after the ChatRequest schema evolves.
     */
    static Serde<PendingEntry> serde(Serde<ChatRequest> requestSerde, String requestsTopic) {
        Serializer<ChatRequest> requestSerializer = requestSerde.serializer();
        Deserializer<ChatRequest> requestDeserializer = requestSerde.deserializer();
        Serializer<PendingEntry> serializer = (topic, entry) -> {
            if (entry == null) {
                return null;
            }
            byte[] request = requestSerializer.serialize(requestsTopic, entry.request());
            return ByteBuffer.allocate(HEADER + request.length).put(VERSION).putInt(entry.attempts())
                    .putLong(entry.firstAttemptAt()).putLong(entry.notBefore()).put(request).array();
        };
        Deserializer<PendingEntry> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte version = b.get();
            if (version != VERSION) {
                throw new IllegalStateException("pending entry of unknown format version " + version);
            }
            int attempts = b.getInt();
            long first = b.getLong();
            long notBefore = b.getLong();
            byte[] request = new byte[b.remaining()];
            b.get(request);
            return new PendingEntry(requestDeserializer.deserialize(requestsTopic, request), attempts, first, notBefore);
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }

    private static final byte VERSION = 1;
    private static final int HEADER = 1 + 4 + 8 + 8;
}
