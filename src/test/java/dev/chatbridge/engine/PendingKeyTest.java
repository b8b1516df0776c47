package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

class PendingKeyTest {

    @Test
    void shouldOrderEntriesByThreadThenInputOrderInByteOrder() {
        TreeMap<Bytes, String> table = new TreeMap<>();
        for (long offset : new long[] {300, 2, 1L << 40, 17}) {
            table.put(PendingKey.of("thread", offset), "thread@" + offset);
        }
        table.put(PendingKey.of("thread-2", 1), "thread-2@1");
        table.put(PendingKey.of("t", 5), "t@5");
        table.put(PendingKey.of("ü", 0), "ü@0");

        List<String> threadEntries = table.values().stream().filter(v -> v.startsWith("thread@")).toList();
        assertThat(threadEntries).containsExactly("thread@2", "thread@17", "thread@300", "thread@" + (1L << 40));
        // every thread's entries are contiguous
        List<String> threads = table.keySet().stream().map(PendingKey::threadKey).distinct().toList();
        assertThat(threads).hasSize(4);
        assertThat(table.keySet().stream().map(PendingKey::threadKey).toList())
                .containsSubsequence("thread", "thread", "thread", "thread");
    }

    @Test
    void shouldReadBackTheThreadKeyAndSequence() {
        Bytes key = PendingKey.of("conversation-ü-42", 123_456_789L);
        assertThat(PendingKey.threadKey(key)).isEqualTo("conversation-ü-42");
        assertThat(PendingKey.sequence(key)).isEqualTo(123_456_789L);
        assertThat(PendingKey.of("conversation-ü-42", 123_456_789L)).as("same record, same key").isEqualTo(key);
    }

    @Test
    void shouldRoundTripAPendingEntry() {
        var serde = PendingEntry.serde(EngineDriver.REQUESTS, "chat-requests");
        PendingEntry entry = new PendingEntry(EngineDriver.request("r", "t", "hello"), 2, 1000L, 2000L);
        byte[] bytes = serde.serializer().serialize("changelog", entry);
        assertThat(serde.deserializer().deserialize("changelog", bytes)).isEqualTo(entry);
    }
}
