package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code POST /chats/v2} body, parsed and validated the way the vendor's API does it: every validation error
 * collected under the property path it concerns.
 */
sealed interface ChatBody permits ChatBody.Valid, ChatBody.Invalid {

    Set<String> ROLES = Set.of("User", "System", "Assistant");

    /** One message. */
    record Message(String text, String role) {}

    /** A valid body (at least one message). */
    record Valid(List<Message> messages, String assistantId, String threadId) implements ChatBody {
        public Valid {
            messages = List.copyOf(messages);
        }

        /** The text of the last message, whatever its role (where fault markers are read). */
        String lastText() {
            return messages.get(messages.size() - 1).text();
        }

        /** The text of the last User message, or null. */
        String lastUserText() {
            for (int i = messages.size() - 1; i >= 0; i--) {
                if ("User".equals(messages.get(i).role())) {
                    return messages.get(i).text();
                }
            }
            return null;
        }
    }

    /** An invalid body: property path to messages, in discovery order. */
    record Invalid(Map<String, List<String>> errors) implements ChatBody {}

    /**
     * True when {@code body} is a JSON object whose {@code messages} is an empty array: what a client sends to check
     * its key without asking anything (the API answers 400 to an accepted key, 401 to any other).
     */
    static boolean isKeyProbe(ObjectMapper json, byte[] body) {
        try {
            JsonNode root = body.length == 0 ? null : json.readTree(body);
            JsonNode messages = root == null || !root.isObject() ? null : root.get("messages");
            return messages != null && messages.isArray() && messages.isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** Parses and validates {@code body}. */
    static ChatBody parse(ObjectMapper json, byte[] body) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = body.length == 0 ? null : json.readTree(body);
        } catch (JsonProcessingException e) {
            add(
                    errors,
                    "$",
                    "The JSON value is not valid: " + e.getOriginalMessage() + ". Path: $ | LineNumber: "
                            + (e.getLocation() == null ? 0 : e.getLocation().getLineNr() - 1) + ".");
            add(errors, "request", "The request field is required.");
            return new Invalid(errors);
        } catch (IOException e) {
            throw new IllegalStateException("reading an in-memory body failed", e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            add(errors, "", "A non-empty request body is required.");
            add(errors, "request", "The request field is required.");
            return new Invalid(errors);
        }
        if (!root.isObject()) {
            add(errors, "$", "The JSON value could not be converted to ChatRequest. Path: $.");
            add(errors, "request", "The request field is required.");
            return new Invalid(errors);
        }
        String assistantId = optionalString(root, "assistantId", errors);
        String threadId = optionalString(root, "threadId", errors);
        List<Message> messages = messages(root.get("messages"), errors);
        return errors.isEmpty() ? new Valid(messages, assistantId, threadId) : new Invalid(errors);
    }

    private static List<Message> messages(JsonNode node, Map<String, List<String>> errors) {
        List<Message> messages = new ArrayList<>();
        if (node == null || node.isNull()) {
            add(errors, "messages", "The Messages field is required.");
            return messages;
        }
        if (!node.isArray()) {
            add(
                    errors,
                    "messages",
                    "The JSON value could not be converted to List<ChatMessageRequest>. Path: $.messages.");
            return messages;
        }
        if (node.isEmpty()) {
            add(errors, "messages", "The field Messages must be a string or array type with a minimum length of '1'.");
            return messages;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String path = "messages[" + i + "]";
            if (!m.isObject()) {
                add(errors, path, "The JSON value could not be converted to ChatMessageRequest. Path: $." + path + ".");
                continue;
            }
            String text = optionalString(m, "text", errors, path + ".text");
            JsonNode role = m.get("role");
            if (role == null || role.isNull()) {
                add(errors, path + ".role", "The Role field is required.");
            } else if (!role.isTextual() || !ROLES.contains(role.asText())) {
                String shown = role.asText().length() > 50 ? role.asText().substring(0, 50) + "…" : role.asText();
                add(
                        errors,
                        path + ".role",
                        "The value '" + shown + "' is not valid for Role."
                                + " Valid values are: User, System, Assistant.");
            } else {
                messages.add(new Message(text, role.asText()));
            }
        }
        return messages;
    }

    private static String optionalString(JsonNode parent, String field, Map<String, List<String>> errors) {
        return optionalString(parent, field, errors, field);
    }

    private static String optionalString(JsonNode parent, String field, Map<String, List<String>> errors, String path) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            add(errors, path, "The JSON value could not be converted to System.String. Path: $." + path + ".");
            return null;
        }
        return v.asText();
    }

    private static void add(Map<String, List<String>> errors, String path, String message) {
        errors.computeIfAbsent(path, k -> new ArrayList<>()).add(message);
    }
}
