package dev.chatbridge.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys of the pending table: {@code [4-byte length][conversation key UTF-8][8-byte sequence]}, all big-endian, where
 * the sequence is the input record's offset in the task's source partition.
 *
 * <p>Byte order therefore groups a conversation's entries together (the length-prefixed conversation key is a prefix no
 * other conversation shares) and sorts them by input order, so a scan of the table yields every conversation's requests
 * in the order they arrived. Offsets are never negative, so signed and unsigned order agree. Re-processing a record
 * after a crash produces the same key again, which makes accepting it idempotent.
 */
final class PendingKey {

    private PendingKey() {}

    static Bytes of(String conversationKey, long sequence) {
        byte[] key = conversationKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(4 + key.length + 8)
                .putInt(key.length)
                .put(key)
                .putLong(sequence)
                .array());
    }

    static String conversationKey(Bytes pendingKey) {
        ByteBuffer b = ByteBuffer.wrap(pendingKey.get());
        int length = b.getInt();
        return new String(pendingKey.get(), 4, length, StandardCharsets.UTF_8);
    }

    static long sequence(Bytes pendingKey) {
        byte[] raw = pendingKey.get();
        return ByteBuffer.wrap(raw, raw.length - 8, 8).getLong();
    }
}
