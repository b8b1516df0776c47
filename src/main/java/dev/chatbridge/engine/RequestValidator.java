package dev.chatbridge.engine;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Checks a decoded request before any call is made; a request that fails becomes an
 * {@code INVALID_REQUEST} dead letter with the message returned here. Stateless and thread-safe.
 */
final class RequestValidator {

    /** RFC 5321 limits an address to 254 characters; anything much longer is not an account. */
    static final int MAX_ACCOUNT_CHARS = 320;

    private final int maxMessages;
    private final int maxTextBytes;

    RequestValidator(int maxMessages, int maxTextBytes) {
        this.maxMessages = maxMessages;
        this.maxTextBytes = maxTextBytes;
    }

    /** Why the request cannot be sent, or empty when it can. */
    Optional<String> problem(ChatRequest request) {
        if (request.getRequestId() == null || request.getRequestId().isBlank()) {
            return Optional.of("requestId is empty");
        }
        List<ChatMessage> messages = request.getMessages();
        if (messages == null || messages.isEmpty()) {
            return Optional.of("messages is empty: the API requires at least one message");
        }
        if (messages.size() > maxMessages) {
            return Optional.of("request has " + messages.size() + " messages, more than "
                    + EngineConfig.KEY_MAX_MESSAGES + "=" + maxMessages);
        }
        long textBytes = 0;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (m == null || m.getRole() == null) {
                return Optional.of("messages[" + i + "] has no role");
            }
            if (m.getText() != null) {
                textBytes += m.getText().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        if (textBytes > maxTextBytes) {
            return Optional.of("message texts are " + textBytes + " UTF-8 bytes, more than "
                    + EngineConfig.KEY_MAX_TEXT_BYTES + "=" + maxTextBytes);
        }
        return accountProblem(request.getAccount());
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
        for (int i = 0; i < account.length(); i++) {
            char c = account.charAt(i);
            if (Character.isISOControl(c)) {
                String what = c == '\r' ? "CR" : c == '\n' ? "LF" : String.format("U+%04X", (int) c);
                return Optional.of("account contains a control character (" + what + ") at index " + i
                        + "; refused because it would be sent as the unleash-account header (header injection)");
            }
        }
        return Optional.empty();
    }
}
