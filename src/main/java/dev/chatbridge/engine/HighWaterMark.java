package dev.chatbridge.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A task's high-water mark of accepted input offsets, kept in the pending table under its own key, with the id of the
 * source topic it belongs to. A record at or below the mark was accepted before (a replay after a crash), so it is
 * skipped; the mark is written with every accepted record, in the same transaction as the entry it guards.
 *
 * <p>A topic deleted and created again starts its offsets afresh, which would make every new record look like a replay:
 * when the topic's current id differs from the one stored, the mark is reset.
 *
 * <p><b>Threading.</b> Owned by the task's stream thread.
 */
final class HighWaterMark {

    /** Key of the mark in the pending table (no conversation key starts with a NUL character). */
    static final Bytes KEY = PendingKey.of("\u0000high-water-mark", 0);

    private long offset = -1;
    private String topicId;

    /** Reads a stored mark: {@code [long offset][topic id UTF-8, possibly empty]}. */
    void load(byte[] stored) {
        ByteBuffer b = ByteBuffer.wrap(stored);
        offset = b.getLong();
        topicId = b.remaining() == 0 ? null : new String(stored, 8, stored.length - 8, StandardCharsets.UTF_8);
    }

    /**
     * Compares the stored topic id with the topic's current one.
     *
     * @return the old id when the topic was created again and the mark was therefore reset
     */
    Optional<String> checkTopic(Optional<String> currentId) {
        Optional<String> recreated = Optional.empty();
        if (offset >= 0
                && currentId.isPresent()
                && topicId != null
                && !currentId.get().equals(topicId)) {
            recreated = Optional.of(topicId);
            offset = -1;
        }
        currentId.ifPresent(id -> topicId = id);
        return recreated;
    }

    /** Whether a record at {@code recordOffset} was accepted before. */
    boolean covers(long recordOffset) {
        return recordOffset <= offset;
    }

    /** Raises the mark to {@code recordOffset} and stores it. */
    void advance(long recordOffset, KeyValueStore<Bytes, byte[]> store) {
        offset = recordOffset;
        byte[] id = topicId == null ? new byte[0] : topicId.getBytes(StandardCharsets.UTF_8);
        store.put(
                KEY, ByteBuffer.allocate(8 + id.length).putLong(offset).put(id).array());
    }

    /** The highest accepted offset, or -1. */
    long offset() {
        return offset;
    }
}
