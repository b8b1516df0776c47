package dev.chatbridge.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys of the pending table: {@code [4-byte length][thread key UTF-8][8-byte sequence]}, all big-endian, where the
 * sequence is the input record's offset in the task's source partition.
 *
 * <p>Byte order therefore groups a thread's entries together (the length-prefixed thread key is a prefix no other
 * thread shares) and sorts them by input order, so a scan of the table yields every thread's requests in the order they
 * arrived. Offsets are never negative, so signed and unsigned order agree. Re-processing a record after a crash
 * produces the same key again, which makes accepting it idempotent.
 */
final class PendingKey {

    private PendingKey() {}

    static Bytes of(String threadKey, long sequence) {
        byte[] key = threadKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(4 + key.length + 8)
                .putInt(key.length)
                .put(key)
                .putLong(sequence)
                .array());
    }

    static String threadKey(Bytes pendingKey) {
        ByteBuffer b = ByteBuffer.wrap(pendingKey.get());
        int length = b.getInt();
        return new String(pendingKey.get(), 4, length, StandardCharsets.UTF_8);
    }

    static long sequence(Bytes pendingKey) {
        byte[] raw = pendingKey.get();
        return ByteBuffer.wrap(raw, raw.length - 8, 8).getLong();
    }
}
