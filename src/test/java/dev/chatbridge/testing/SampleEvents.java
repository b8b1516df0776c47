package dev.chatbridge.testing;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** Sample events for tests, with every field set so that a lost field shows. */
public final class SampleEvents {

    private SampleEvents() {}

    /** A request of a thread with every optional field set and a multi-byte character in its text. */
    public static ChatRequest fullRequest(String requestId, String threadId) {
        return ChatRequest.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setAssistantId("assistant-7")
                .setAccount("ada@example.com")
                .setMessages(List.of(
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.System)
                                .setText("Be brief.")
                                .build(),
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.User)
                                .setText("Qu'est-ce que Kafka ? ☕")
                                .build(),
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.Assistant)
                                .setText(null)
                                .build()))
                .setMetadata(Map.of("tenant", "acme", "trace", "t-1"))
                .setCreatedAt(Instant.parse("2026-11-28T12:00:00.123Z").truncatedTo(ChronoUnit.MILLIS))
                .build();
    }

    /** The smallest valid request: one user message, nothing optional. */
    public static ChatRequest minimalRequest(String requestId) {
        return ChatRequest.newBuilder()
                .setRequestId(requestId)
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setRole(MessageRole.User)
                        .setText("Hi")
                        .build()))
                .build();
    }
}
