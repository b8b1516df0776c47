package dev.chatbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.engine.Sha256;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Response;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.SerializationExceptionOrigin;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OversizeOutcomeHandlerTest {

    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    private final SchemaRegistryClient registry =
            SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://handler-test-" + System.nanoTime()));
    private final Serde<ChatResponse> responses = AvroSerdes.of(ChatResponse.class, registry, config(), false);
    private final Serde<ChatDeadLetter> deadLetters = AvroSerdes.of(ChatDeadLetter.class, registry, config(), false);
    private final OutcomeSizeGuard guard = new OutcomeSizeGuard(Map.of("responses", 1000, "dead-letters", 1000));
    private final AtomicInteger replaced = new AtomicInteger();

    @AfterEach
    void close() {
        registry.close();
    }

    private OversizeOutcomeHandler handler(boolean exactlyOnce) {
        return new OversizeOutcomeHandler(new OversizeOutcomeHandler.Outputs(
                "responses",
                "dead-letters",
                responses.deserializer(),
                deadLetters.deserializer(),
                deadLetters.serializer(),
                1_048_576,
                guard,
                exactlyOnce,
                replaced::incrementAndGet,
                Clock.fixed(NOW, ZoneOffset.UTC)));
    }

    @Test
    void shouldReplaceAResponseTheProducerRefusesByAMinimalDeadLetterKeyedByItsThreadWithoutExactlyOnce() {
        byte[] value = responses.serializer().serialize("responses", response("r1", "t1", 5000));
        var refused = new ProducerRecord<>("responses", null, 7L, "t1".getBytes(StandardCharsets.UTF_8), value);

        Response response = handler(false).handleError(null, refused, new RecordTooLargeException("too large"));

        assertThat(response.result()).isEqualTo(Result.RESUME);
        ProducerRecord<byte[], byte[]> letter =
                response.deadLetterQueueRecords().get(0);
        assertThat(letter.topic()).isEqualTo("dead-letters");
        assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo("t1");
        assertThat(letter.headers().lastHeader(OversizeOutcomeHandler.MARKER_HEADER))
                .isNotNull();
        ChatDeadLetter decoded = deadLetters.deserializer().deserialize("dead-letters", letter.value());
        assertThat(decoded.getRequestId()).isEqualTo("r1");
        assertThat(decoded.getThreadId()).isEqualTo("t1");
        assertThat(decoded.getReason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
        assertThat(decoded.getRawValueSize()).isEqualTo(value.length);
        assertThat(decoded.getRawValueSha256()).isEqualTo(Sha256.hex(value));
        assertThat(decoded.getOmitted()).containsExactly("event");
        assertThat(decoded.getFailedAt()).isEqualTo(NOW);
        assertThat(decoded.getMessage())
                .contains(
                        value.length + " bytes",
                        "max.request.size (now 1048576)",
                        "max.message.bytes",
                        "chat.response.max.bytes");
        assertThat(replaced).hasValue(1);
        assertThat(guard.maxValueBytes("responses")).isEqualTo(1000);
    }

    @Test
    void shouldKeepTheReasonOfARefusedDeadLetterLeaveUndecodableIdsNullAndDropALongKey() {
        byte[] longKey = "k".repeat(OversizeOutcomeHandler.MAX_KEY_BYTES + 1).getBytes(StandardCharsets.UTF_8);
        byte[] letterValue = deadLetters
                .serializer()
                .serialize(
                        "dead-letters",
                        ChatDeadLetter.newBuilder()
                                .setRequestId("r2")
                                .setReason(DeadLetterReason.BAD_REQUEST)
                                .setMessage("m")
                                .setFailedAt(NOW)
                                .build());
        OversizeOutcomeHandler handler = handler(false);

        Response forLetter = handler.handleError(
                null,
                new ProducerRecord<>("dead-letters", longKey, letterValue),
                new RecordTooLargeException("too large"));
        Response forGarbage = handler.handleError(
                null,
                new ProducerRecord<>("responses", longKey, new byte[] {1, 2}),
                new RecordTooLargeException("too large"));

        ChatDeadLetter fromLetter = decode(forLetter);
        assertThat(fromLetter.getReason()).isEqualTo(DeadLetterReason.BAD_REQUEST);
        assertThat(fromLetter.getRequestId()).isEqualTo("r2");
        assertThat(forLetter.deadLetterQueueRecords().get(0).key()).isNull();
        assertThat(fromLetter.getRawKeySize()).isEqualTo(longKey.length);
        ChatDeadLetter fromGarbage = decode(forGarbage);
        assertThat(fromGarbage.getRequestId()).isNull();
        assertThat(fromGarbage.getReason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
    }

    @Test
    void shouldFailForOtherErrorsOtherTopicsAndARefusedMinimalDeadLetter() {
        OversizeOutcomeHandler handler = handler(false);
        var response = new ProducerRecord<byte[], byte[]>("responses", null, new byte[10]);
        var changelog = new ProducerRecord<byte[], byte[]>("app-pending-requests-changelog", null, new byte[10]);
        var marked = new ProducerRecord<byte[], byte[]>("dead-letters", null, new byte[10]);
        marked.headers().add(OversizeOutcomeHandler.MARKER_HEADER, new byte[] {'1'});

        assertThat(handler.handleError(null, response, new InvalidRecordException("x"))
                        .result())
                .isEqualTo(Result.FAIL);
        assertThat(handler.handleError(null, changelog, new RecordTooLargeException("x"))
                        .result())
                .isEqualTo(Result.FAIL);
        assertThat(handler.handleError(null, marked, new RecordTooLargeException("x"))
                        .result())
                .isEqualTo(Result.FAIL);
        assertThat(replaced).hasValue(0);
    }

    @Test
    void shouldFailAndLowerTheGuardOnceUnderExactlyOnceBecauseTheTransactionIsLost() {
        var refused = new ProducerRecord<byte[], byte[]>("responses", null, new byte[800]);

        Response response = handler(true).handleError(null, refused, new RecordTooLargeException("too large"));

        assertThat(response.result()).isEqualTo(Result.FAIL);
        assertThat(guard.maxValueBytes("responses")).isEqualTo(799);
        assertThat(guard.takeRefusalToRetry()).isTrue();
        assertThat(guard.takeRefusalToRetry()).isFalse();
    }

    @Test
    void shouldReplaceAResponseTheGuardRefusedWhileSerializingInTheSameTransaction() {
        Serde<ChatResponse> guarded = guard.wrap(responses);
        ChatResponse big = response("r3", "t3", 5000);
        OutcomeSizeGuard.TooLargeException refusal = Assertions.catchThrowableOfType(
                OutcomeSizeGuard.TooLargeException.class,
                () -> guarded.serializer()
                        .serialize("responses", new org.apache.kafka.common.header.internals.RecordHeaders(), big));
        assertThat(guarded.serializer().serialize("responses", big))
                .as("the unguarded variant")
                .isNotNull();

        Response response = handler(true)
                .handleSerializationError(
                        null,
                        new ProducerRecord<>("responses", null, 9L, "t3", big),
                        refusal,
                        SerializationExceptionOrigin.VALUE);

        assertThat(response.result()).isEqualTo(Result.RESUME);
        ChatDeadLetter letter = decode(response);
        assertThat(letter.getRequestId()).isEqualTo("r3");
        assertThat(letter.getRawValueSize()).isEqualTo(refusal.size()).isGreaterThan(1000);
        assertThat(letter.getRawValueSha256()).isEqualTo(refusal.sha256());
        assertThat(response.deadLetterQueueRecords().get(0).timestamp()).isEqualTo(9L);
    }

    @Test
    void shouldRefuseToStartWithoutItsOutputs() {
        assertThatThrownBy(() -> new OversizeOutcomeHandler().configure(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(OversizeOutcomeHandler.OUTPUTS_CONFIG);
    }

    private ChatDeadLetter decode(Response response) {
        assertThat(response.deadLetterQueueRecords()).hasSize(1);
        return deadLetters
                .deserializer()
                .deserialize(
                        "dead-letters", response.deadLetterQueueRecords().get(0).value());
    }

    private static ChatResponse response(String requestId, String threadId, int textSize) {
        return ChatResponse.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setText("x".repeat(textSize))
                .setCompletedAt(NOW)
                .build();
    }

    private static AvroSerdeConfig config() {
        return AvroSerdeConfig.from(Map.of());
    }
}
