package dev.chatbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.engine.RegistryUnavailableException;
import dev.chatbridge.engine.Topic;
import dev.chatbridge.engine.Topics;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.serde.SerdeException;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ChatBridgeAppTest {

    @Test
    void shouldReplaceTheThreadWhenTheRegistryIsUnreachable() {
        // The engine raises RegistryUnavailableException from the decode step; Kafka Streams wraps it.
        var cause = new RegistryUnavailableException(
                "chat-requests", new SerdeException(SerdeException.Kind.REGISTRY_UNAVAILABLE, "no registry"));

        assertThat(ChatBridgeApp.onStreamThreadFailure(new StreamsException("task failed", cause)))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    @Test
    void shouldShutDownOnAnyOtherFailureRatherThanLoop() {
        assertThat(ChatBridgeApp.onStreamThreadFailure(new StreamsException("bug", new IllegalStateException("x"))))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    @Test
    void shouldReplaceTheThreadOnceForAnOutcomeRefusedInATransactionAndShutDownOtherwise() {
        OutcomeSizeGuard guard = new OutcomeSizeGuard(Map.of("responses", 1000));
        var failure = new StreamsException("send failed", new RecordTooLargeException("too large"));
        guard.refusedInTransaction("responses", 900);

        assertThat(ChatBridgeApp.onStreamThreadFailure(failure, guard))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(ChatBridgeApp.onStreamThreadFailure(failure, guard))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    @Test
    void shouldInstallTheOversizeHandlerUnlessTheUserChoseAProductionExceptionHandler() {
        Serde<ChatResponse> responses = Serdes.serdeFrom((topic, r) -> new byte[0], (topic, b) -> null);
        Serde<ChatDeadLetter> letters = Serdes.serdeFrom((topic, d) -> new byte[0], (topic, b) -> null);
        Topics topics = new Topics(
                new Topic<>(
                        "requests",
                        Serdes.ByteArray(),
                        Serdes.serdeFrom((String topic, ChatRequest r) -> new byte[0], (topic, b) -> null)),
                new Topic<>("responses", Serdes.String(), responses),
                new Topic<>("dead-letters", Serdes.String(), letters));
        OutcomeSizeGuard guard = new OutcomeSizeGuard(Map.of());
        Properties chosen = new Properties();
        chosen.put("default.production.exception.handler", "com.example.Mine");

        Properties ours = ChatBridgeApp.withOversizeHandler(new Properties(), topics, guard, null, Clock.systemUTC());
        Properties theirs = ChatBridgeApp.withOversizeHandler(chosen, topics, guard, null, Clock.systemUTC());

        assertThat(ours.get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(OversizeOutcomeHandler.class);
        assertThat(ours.get(OversizeOutcomeHandler.OUTPUTS_CONFIG)).isInstanceOf(OversizeOutcomeHandler.Outputs.class);
        assertThat(theirs).doesNotContainKey(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG);
        assertThat(chosen).doesNotContainKey(OversizeOutcomeHandler.OUTPUTS_CONFIG);
    }
}
