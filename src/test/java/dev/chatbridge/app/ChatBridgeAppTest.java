package dev.chatbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.engine.RegistryUnavailableException;
import dev.chatbridge.serde.SerdeException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ChatBridgeAppTest {

    @Test
    void shouldReplaceTheThreadWhenTheRegistryIsUnreachable() {
        // The engine raises RegistryUnavailableException from the decode step; Kafka Streams wraps it.
        var cause = new RegistryUnavailableException("chat-requests",
                new SerdeException(SerdeException.Kind.REGISTRY_UNAVAILABLE, "no registry"));

        assertThat(ChatBridgeApp.onStreamThreadFailure(new StreamsException("task failed", cause)))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    @Test
    void shouldShutDownOnAnyOtherFailureRatherThanLoop() {
        assertThat(ChatBridgeApp.onStreamThreadFailure(new StreamsException("bug", new IllegalStateException("x"))))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }
}
