package dev.chatbridge.engine;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a decoded request before any call is made; a request that fails becomes an {@code INVALID_REQUEST} dead letter
 * with the message returned here. The limits keep every record chat-bridge writes for a request (pending table
 * changelog, repartition topic, outcome) within a size the producer and the topics accept. Stateless and thread-safe.
 *
 * <p>Two levels: {@link #conversationKeyProblem} is what makes a request impossible to place in a conversation at all
 * (its conversation key is missing, blank, too long or not printable); such a request is refused at once, keyed by
 * nothing. {@link #problem} is everything else, checked where the request can wait behind its conversation's earlier
 * turns.
 */
final class RequestValidator {

    /** RFC 5321 limits an address to 254 characters; anything much longer is not an account. */
    static final int MAX_ACCOUNT_CHARS = 320;

    private final EngineConfig config;

    RequestValidator(EngineConfig config) {
        this.config = config;
    }

    /** The request's conversation key: its {@code threadId}, or its {@code requestId} when it has none. */
    static String conversationKey(ChatRequest request) {
        return request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
    }

    /** Why the request has no usable conversation key, or empty when it has one. */
    Optional<String> conversationKeyProblem(ChatRequest request) {
        if (request.getThreadId() != null) {
            return idProblem("threadId", request.getThreadId(), "leave it null to start a new conversation");
        }
        return idProblem("requestId", request.getRequestId(), "every request needs an id");
    }

    /** Why the request cannot be sent, or empty when it can. */
    Optional<String> problem(ChatRequest request, int valueBytes) {
        if (valueBytes > config.maxRequestBytes()) {
            return Optional.of("the request record is " + valueBytes + " bytes, more than "
                    + EngineConfig.KEY_MAX_REQUEST_BYTES + "=" + config.maxRequestBytes());
        }
        Optional<String> ids = conversationKeyProblem(request)
                .or(() -> idProblem("requestId", request.getRequestId(), "every request needs an id"))
                .or(() -> request.getAssistantId() == null
                        ? Optional.empty()
                        : idProblem(
                                "assistantId", request.getAssistantId(), "leave it null for the default assistant"));
        if (ids.isPresent()) {
            return ids;
        }
        List<ChatMessage> messages = request.getMessages();
        if (messages == null || messages.isEmpty()) {
            return Optional.of("messages is empty: the API requires at least one message");
        }
        if (messages.size() > config.maxMessages()) {
            return Optional.of("request has " + messages.size() + " messages, more than "
                    + EngineConfig.KEY_MAX_MESSAGES + "=" + config.maxMessages());
        }
        long textBytes = 0;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (m == null || m.getRole() == null) {
                return Optional.of("messages[" + i + "] has no role");
            }
            if (m.getText() != null) {
                textBytes += utf8Length(m.getText());
            }
        }
        if (textBytes > config.maxTextBytes()) {
            return Optional.of("message texts are " + textBytes + " UTF-8 bytes, more than "
                    + EngineConfig.KEY_MAX_TEXT_BYTES + "=" + config.maxTextBytes());
        }
        Map<String, String> metadata = request.getMetadata();
        if (metadata != null) {
            long metadataBytes = 0;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                metadataBytes += utf8Length(e.getKey()) + (e.getValue() == null ? 0 : utf8Length(e.getValue()));
            }
            if (metadataBytes > config.maxMetadataBytes()) {
                return Optional.of("metadata is " + metadataBytes + " UTF-8 bytes of keys and values, more than "
                        + EngineConfig.KEY_MAX_METADATA_BYTES + "=" + config.maxMetadataBytes());
            }
        }
        return accountProblem(request.getAccount());
    }

    private Optional<String> idProblem(String field, String value, String hint) {
        if (value == null || value.isBlank()) {
            return Optional.of(field + " is " + (value == null ? "missing" : "blank") + ": " + hint);
        }
        if (value.length() > config.maxIdChars()) {
            return Optional.of(field + " is " + value.length() + " characters, more than "
                    + EngineConfig.KEY_MAX_ID_CHARS + "=" + config.maxIdChars());
        }
        return controlCharacter(field, value, "ids are copied into record keys, headers and log lines");
    }

    private static Optional<String> accountProblem(String account) {
        if (account == null) {
            return Optional.empty();
        }
        if (account.isBlank()) {
            return Optional.of("account is blank: leave it null to call as the API key's own user");
        }
        if (account.length() > MAX_ACCOUNT_CHARS) {
            return Optional.of("account is " + account.length() + " characters, more than " + MAX_ACCOUNT_CHARS);
        }
        return controlCharacter(
                "account", account, "it would be sent as the unleash-account header (header injection)");
    }

    private static Optional<String> controlCharacter(String field, String value, String why) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (LogSafe.isControl(c)) {
                String what = c == '\r' ? "CR" : c == '\n' ? "LF" : String.format("U+%04X", (int) c);
                return Optional.of(field + " contains a control character (" + what + ") at index " + i
                        + "; refused because " + why);
            }
        }
        return Optional.empty();
    }

    private static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
