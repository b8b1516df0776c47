package dev.chatbridge.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One JSON line to a {@link ChatRequest}, the input format of {@code send}:
 *
 * <pre>{"requestId":"r1","threadId":"t1","messages":[{"role":"User","text":"Hello"}]}</pre>
 *
 * {@code requestId} defaults to a random UUID, {@code createdAt} (epoch millis or ISO-8601) to now;
 * {@code assistantId}, {@code account} and {@code metadata} (an object of strings) are optional. A bad line is a
 * {@link BadLine} value naming the problem. Stateless.
 */
public final class RequestJson {

    /** Why a line is not a request. */
    record BadLine(String problem) {}

    private RequestJson() {}

    /** The request, or a {@link BadLine}. */
    static Object parse(String line) {
        JsonNode node;
        try {
            node = AvroJson.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            return new BadLine("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return new BadLine("expected a JSON object");
        }
        JsonNode messages = node.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return new BadLine("\"messages\" must be a non-empty array of {\"role\": \"User\", \"text\": \"...\"}");
        }
        List<ChatMessage> list = new ArrayList<>();
        for (JsonNode m : messages) {
            String role = text(m, "role");
            MessageRole parsedRole = role(role);
            if (parsedRole == null) {
                return new BadLine("message role must be User, System or Assistant, was "
                        + (role == null ? "missing" : "'" + role + "'"));
            }
            list.add(ChatMessage.newBuilder()
                    .setRole(parsedRole)
                    .setText(text(m, "text"))
                    .build());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = node.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) {
                return new BadLine("\"metadata\" must be an object of strings");
            }
            meta.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
        }
        Instant createdAt;
        try {
            createdAt = createdAt(node.get("createdAt"));
        } catch (DateTimeParseException e) {
            return new BadLine("\"createdAt\" must be epoch milliseconds or ISO-8601, was " + node.get("createdAt"));
        }
        String requestId = text(node, "requestId");
        return ChatRequest.newBuilder()
                .setRequestId(
                        requestId == null || requestId.isBlank()
                                ? UUID.randomUUID().toString()
                                : requestId)
                .setThreadId(text(node, "threadId"))
                .setAssistantId(text(node, "assistantId"))
                .setAccount(text(node, "account"))
                .setMessages(list)
                .setMetadata(metadata)
                .setCreatedAt(createdAt)
                .build();
    }

    /** The record key of a request: its thread, or its request id when it has no thread. */
    public static String threadKey(ChatRequest request) {
        return request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
    }

    private static MessageRole role(String role) {
        for (MessageRole r : MessageRole.values()) {
            if (r.name().equalsIgnoreCase(role)) {
                return r;
            }
        }
        return null;
    }

    private static Instant createdAt(JsonNode node) {
        if (node == null || node.isNull()) {
            return Instant.now();
        }
        return node.isNumber() ? Instant.ofEpochMilli(node.asLong()) : Instant.parse(node.asText());
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
