package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

class PendingKeyTest {

    @Test
    void shouldOrderEntriesByConversationThenInputOrderInByteOrder() {
        TreeMap<Bytes, String> table = new TreeMap<>();
        for (long offset : new long[] {300, 2, 1L << 40, 17}) {
            table.put(PendingKey.of("thread", offset), "thread@" + offset);
        }
        table.put(PendingKey.of("thread-2", 1), "thread-2@1");
        table.put(PendingKey.of("t", 5), "t@5");
        table.put(PendingKey.of("ü", 0), "ü@0");

        List<String> conversationEntries =
                table.values().stream().filter(v -> v.startsWith("thread@")).toList();
        assertThat(conversationEntries).containsExactly("thread@2", "thread@17", "thread@300", "thread@" + (1L << 40));
        // every conversation's entries are contiguous
        List<String> conversations = table.keySet().stream()
                .map(PendingKey::conversationKey)
                .distinct()
                .toList();
        assertThat(conversations).hasSize(4);
        assertThat(table.keySet().stream().map(PendingKey::conversationKey).toList())
                .containsSubsequence("thread", "thread", "thread", "thread");
    }

    @Test
    void shouldReadBackTheConversationKeyAndSequence() {
        Bytes key = PendingKey.of("conversation-ü-42", 123_456_789L);
        assertThat(PendingKey.conversationKey(key)).isEqualTo("conversation-ü-42");
        assertThat(PendingKey.sequence(key)).isEqualTo(123_456_789L);
        assertThat(PendingKey.of("conversation-ü-42", 123_456_789L))
                .as("same record, same key")
                .isEqualTo(key);
    }

    @Test
    void shouldRoundTripAPendingEntry() {
        byte[] request =
                EngineDriver.REQUESTS.serializer().serialize("chat-requests", EngineDriver.request("r", "t", "hello"));
        PendingEntry entry = PendingEntry.request(new InputFacts(3, 42L, 1, request.length, null), request)
                .withAttempt(2, 1000L, 2000L);
        PendingEntry read = PendingEntry.fromBytes(entry.toBytes());
        assertThat(read.value()).isEqualTo(request);
        assertThat(read).usingRecursiveComparison().isEqualTo(entry);
        assertThat(PendingEntry.header(entry.toBytes()))
                .isEqualTo(new PendingEntry.Header(PendingEntry.Kind.REQUEST, 2000L));
    }

    @Test
    void shouldWriteVersion2WithoutAnIdentityAndVersion3WithOne() {
        byte[] request =
                EngineDriver.REQUESTS.serializer().serialize("chat-requests", EngineDriver.request("r", "t", "hello"));
        PendingEntry plain = PendingEntry.request(new InputFacts(3, 42L, 1, request.length, null), request);
        PendingEntry withIdentity = PendingEntry.request(
                new InputFacts(3, 42L, 1, request.length, null).withProducer("1\n1\n+ann@example.com\n+https://idp\n-"),
                request);

        assertThat(plain.toBytes()[0]).as("readable by the previous release").isEqualTo((byte) 2);
        assertThat(withIdentity.toBytes()[0]).isEqualTo((byte) 3);
        assertThat(PendingEntry.fromBytes(withIdentity.toBytes()))
                .usingRecursiveComparison()
                .isEqualTo(withIdentity);
        assertThat(PendingEntry.fromBytes(withIdentity.toBytes()).producer()).isEqualTo(withIdentity.producer());
        assertThat(PendingEntry.header(withIdentity.toBytes()).kind()).isEqualTo(PendingEntry.Kind.REQUEST);
    }

    @Test
    void shouldReadAVersion1EntryAsARequestWithItsEncodedBytes() {
        byte[] request =
                EngineDriver.REQUESTS.serializer().serialize("chat-requests", EngineDriver.request("r", "t", "hello"));
        byte[] v1 = ByteBuffer.allocate(21 + request.length)
                .put((byte) 1)
                .putInt(2)
                .putLong(1000L)
                .putLong(2000L)
                .put(request)
                .array();
        PendingEntry read = PendingEntry.fromBytes(v1);
        assertThat(read.kind()).isEqualTo(PendingEntry.Kind.REQUEST);
        assertThat(read.attempts()).isEqualTo(2);
        assertThat(read.notBefore()).isEqualTo(2000L);
        assertThat(read.value()).isEqualTo(request);
    }
}
