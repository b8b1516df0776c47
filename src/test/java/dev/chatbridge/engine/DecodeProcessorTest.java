package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.serde.SerdeException;
import dev.chatbridge.testing.LogCapture;
import dev.chatbridge.testing.SampleEvents;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class DecodeProcessorTest {

    private static MockProcessorContext<String, Decoded> context(DecodeProcessor processor) {
        MockProcessorContext<String, Decoded> context = new MockProcessorContext<>();
        context.setRecordMetadata("chat-requests", 2, 41L);
        processor.init(context);
        return context;
    }

    private static final RequestValidator VALIDATOR =
            new RequestValidator(EngineConfig.builder().build());

    private static Deserializer<ChatRequest> failingWith(SerdeException.Kind kind) {
        return (topic, data) -> {
            throw new SerdeException(kind, "failure of kind " + kind);
        };
    }

    @Test
    void shouldNotDeadLetterAGoodRecordWhenTheRegistryIsUnreachable() {
        DecodeProcessor processor =
                new DecodeProcessor(failingWith(SerdeException.Kind.REGISTRY_UNAVAILABLE), VALIDATOR, true, false);
        MockProcessorContext<String, Decoded> context = context(processor);

        assertThatThrownBy(() -> processor.process(new Record<>(new byte[] {1}, new byte[] {0, 0, 0, 0, 1}, 0L)))
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("chat-requests")
                .hasMessageContaining("read again");
        assertThat(context.forwarded())
                .as("nothing forwarded, so nothing dead-lettered")
                .isEmpty();
    }

    @Test
    void shouldWarnOnceWhenTrustedInputIsNotKeyedByConversation() {
        Serde<ChatRequest> serde = TestAvroSerde.of(ChatRequest.class);
        DecodeProcessor processor = new DecodeProcessor(serde.deserializer(), VALIDATOR, true, true);
        MockProcessorContext<String, Decoded> context = context(processor);
        byte[] value = serde.serializer().serialize("chat-requests", SampleEvents.fullRequest("r-1", "thread-9"));

        try (LogCapture logs = LogCapture.start(Map.of())) {
            processor.process(new Record<>("not-the-thread".getBytes(StandardCharsets.UTF_8), value, 0L));
            processor.process(new Record<>("not-the-thread".getBytes(StandardCharsets.UTF_8), value, 0L));
            processor.process(new Record<>("thread-9".getBytes(StandardCharsets.UTF_8), value, 0L));

            assertThat(logs.events())
                    .filteredOn(e -> e.getFormattedMessage().contains("not keyed by its conversation key"))
                    .as("warnings about the input key")
                    .hasSize(1)
                    .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains("chat.input.keying=REKEY"));
        }
        assertThat(context.forwarded())
                .as("every request still goes on, keyed by its conversation")
                .hasSize(3)
                .allSatisfy(f -> assertThat(f.record().key()).isEqualTo("thread-9"));
    }

    @Test
    void shouldNotWarnAboutKeysWhenRequestsAreRekeyed() {
        Serde<ChatRequest> serde = TestAvroSerde.of(ChatRequest.class);
        DecodeProcessor processor = new DecodeProcessor(serde.deserializer(), VALIDATOR, false, true);
        context(processor);
        byte[] value = serde.serializer().serialize("chat-requests", SampleEvents.fullRequest("r-1", "thread-9"));

        try (LogCapture logs = LogCapture.start(Map.of())) {
            processor.process(new Record<>(null, value, 0L));

            assertThat(logs.events())
                    .noneMatch(e -> e.getFormattedMessage().contains("not keyed by its conversation key"));
        }
    }

    @Test
    void shouldDeadLetterBytesThatAreTheRecordsFault() {
        DecodeProcessor processor =
                new DecodeProcessor(failingWith(SerdeException.Kind.BAD_MAGIC_BYTE), VALIDATOR, true, true);
        MockProcessorContext<String, Decoded> context = context(processor);

        processor.process(new Record<>("k".getBytes(StandardCharsets.UTF_8), new byte[] {9}, 0L));

        assertThat(context.forwarded()).hasSize(1);
        Decoded decoded = context.forwarded().get(0).record().value();
        assertThat(decoded).isInstanceOfSatisfying(Decoded.Undecodable.class, u -> {
            assertThat(u.problem()).contains("failure of kind BAD_MAGIC_BYTE");
            assertThat(u.rawKey()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
            assertThat(u.value()).containsExactly(9);
        });
    }

    @Test
    void shouldParkARecordWhenTheRegistryIsUnreachableAndParkingIsOn() {
        DecodeProcessor processor =
                new DecodeProcessor(failingWith(SerdeException.Kind.REGISTRY_UNAVAILABLE), VALIDATOR, true, true);
        MockProcessorContext<String, Decoded> context = context(processor);

        processor.process(new Record<>(new byte[] {1}, new byte[] {0, 0, 0, 0, 1}, 0L));

        assertThat(context.forwarded())
                .singleElement()
                .satisfies(f -> assertThat(f.record().value()).isInstanceOf(Decoded.Parked.class));
    }

    @Test
    void shouldRefuseARequestWhoseConversationKeyCannotKeyAnything() {
        Serde<ChatRequest> serde = TestAvroSerde.of(ChatRequest.class);
        DecodeProcessor processor = new DecodeProcessor(serde.deserializer(), VALIDATOR, true, true);
        MockProcessorContext<String, Decoded> context = context(processor);
        for (String threadId : List.of("", "a\nforged log line", "x".repeat(300_000))) {
            ChatRequest r = ChatRequest.newBuilder(SampleEvents.fullRequest("r-1", "t"))
                    .setThreadId(threadId)
                    .build();
            processor.process(new Record<>(null, serde.serializer().serialize("chat-requests", r), 0L));
        }
        assertThat(context.forwarded()).hasSize(3).allSatisfy(f -> {
            assertThat(f.record().key())
                    .as("a refused request has no conversation to key it by")
                    .isNull();
            assertThat(f.record().value()).isInstanceOf(Decoded.Refused.class);
        });
        assertThat(context.forwarded())
                .extracting(f -> ((Decoded.Refused) f.record().value()).problem())
                .satisfiesExactly(
                        p -> assertThat(p).contains("threadId is blank"),
                        p -> assertThat(p).contains("control character (LF)"),
                        p -> assertThat(p).contains("300000 characters, more than chat.request.max.id.chars=256"));
    }

    @Test
    void shouldLogUndecodableInputAtMostOnceInTenSecondsWithTheCountHeldBack() {
        DecodeProcessor processor =
                new DecodeProcessor(failingWith(SerdeException.Kind.BAD_MAGIC_BYTE), VALIDATOR, true, true);
        MockProcessorContext<String, Decoded> context = context(processor);

        try (LogCapture logs = LogCapture.start(Map.of())) {
            for (int i = 0; i < 1_000; i++) {
                processor.process(new Record<>(null, new byte[] {9}, 0L));
            }

            assertThat(logs.events())
                    .filteredOn(e -> e.getFormattedMessage().contains("Undecodable input"))
                    .as("log lines for 1,000 undecodable records")
                    .hasSize(1);
        }
        assertThat(context.forwarded())
                .as("every record still gets its outcome")
                .hasSize(1_000);
    }
}
