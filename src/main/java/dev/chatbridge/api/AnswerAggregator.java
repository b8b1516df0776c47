package dev.chatbridge.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.EnterpriseResult;
import dev.chatbridge.events.Reference;
import dev.chatbridge.events.ToolCall;
import dev.chatbridge.events.ToolCallStatus;
import dev.chatbridge.events.ToolEvent;
import dev.chatbridge.events.ToolResources;
import dev.chatbridge.events.ToolResponse;
import dev.chatbridge.events.ToolStep;
import dev.chatbridge.events.WebSearchSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Folds the answer objects of one call (the single JSON object, or one per SSE event) into a
 * {@link ChatAnswer}, in order: text concatenated, every list appended, tool events placed at the
 * text length reached when they came, the last non-null {@code requestId} kept.
 *
 * <p>Unknown members are ignored; JSON null counts as absent; a member of the wrong JSON type is
 * an {@link AnswerParseException}. Free-form objects ({@code data}, {@code custom}) are kept as
 * their JSON text.
 *
 * <p>Not thread-safe: one aggregator per call, fed by one thread at a time.
 */
final class AnswerAggregator {

    private final ObjectMapper mapper;
    private final StringBuilder text = new StringBuilder();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private final List<String> sourcesIds = new ArrayList<>();
    private final List<ToolEvent> toolEvents = new ArrayList<>();
    private String apiRequestId;
    private int objects;

    AnswerAggregator(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /** Adds one answer object given as JSON text. */
    void accept(String json) throws AnswerParseException {
        JsonNode node;
        try {
            node = mapper.readTree(json);
        } catch (JacksonException e) {
            throw new AnswerParseException("answer object is not valid JSON: " + e.getOriginalMessage(), e);
        }
        accept(node);
    }

    /** Adds one parsed answer object. */
    void accept(JsonNode node) throws AnswerParseException {
        if (node == null || !node.isObject()) {
            throw new AnswerParseException("answer is not a JSON object");
        }
        objects++;
        String piece = string(node, "text");
        if (piece != null) {
            text.append(piece);
        }
        for (JsonNode call : array(node, "toolCalls")) {
            requireObject(call, "toolCalls[]");
            toolCalls.add(new ToolCall(string(call, "id"), string(call, "name"), string(call, "type"),
                    string(call, "callId"), string(call, "arguments")));
        }
        JsonNode reference = object(node, "reference");
        if (reference != null) {
            references.add(new Reference(strings(reference, "referenceIds"), integer(reference, "position")));
        }
        JsonNode sources = object(node, "sources");
        if (sources != null) {
            List<String> ids = strings(sources, "sourcesIds");
            if (ids != null) {
                sourcesIds.addAll(ids);
            }
        }
        JsonNode tool = object(node, "tool");
        if (tool != null) {
            toolEvents.add(toolEvent(tool));
        }
        String requestId = string(node, "requestId");
        if (requestId != null) {
            apiRequestId = requestId;
        }
    }

    /** How many answer objects were added. */
    int objects() {
        return objects;
    }

    /** The answer aggregated so far. */
    ChatAnswer result() {
        return new ChatAnswer(text.toString(), toolCalls, references, sourcesIds, toolEvents, apiRequestId);
    }

    private ToolEvent toolEvent(JsonNode tool) throws AnswerParseException {
        JsonNode status = object(tool, "toolCallStatus");
        JsonNode step = object(tool, "toolStep");
        JsonNode response = object(tool, "response");
        return new ToolEvent(
                status == null ? null : new ToolCallStatus(string(status, "toolCallId"), string(status, "status")),
                step == null ? null : new ToolStep(string(step, "stepDescription"), string(step, "toolId")),
                response == null ? null : toolResponse(response),
                text.length());
    }

    private ToolResponse toolResponse(JsonNode response) throws AnswerParseException {
        JsonNode resources = object(response, "resources");
        return new ToolResponse(string(response, "name"), string(response, "toolId"),
                resources == null ? null : toolResources(resources));
    }

    private ToolResources toolResources(JsonNode resources) throws AnswerParseException {
        JsonNode enterprise = object(resources, "enterprise");
        JsonNode webSearch = object(resources, "webSearch");
        JsonNode custom = object(resources, "custom");
        return new ToolResources(
                enterprise == null ? null : list(enterprise, "results", this::enterpriseResult),
                webSearch == null ? null : list(webSearch, "sources", this::webSearchSource),
                custom == null ? null : custom.toString());
    }

    private EnterpriseResult enterpriseResult(JsonNode result) throws AnswerParseException {
        JsonNode data = object(result, "data");
        return new EnterpriseResult(string(result, "id"), string(result, "appId"), string(result, "type"),
                string(result, "externalId"), string(result, "name"), data == null ? null : data.toString(),
                string(result, "title"), string(result, "subtitle"), string(result, "url"));
    }

    private WebSearchSource webSearchSource(JsonNode source) throws AnswerParseException {
        return new WebSearchSource(string(source, "id"), string(source, "url"), string(source, "icon"),
                string(source, "title"), string(source, "siteName"), string(source, "description"));
    }

    /** A parser of one array item. */
    @FunctionalInterface
    private interface ItemParser<T> {
        T parse(JsonNode item) throws AnswerParseException;
    }

    private static <T> List<T> list(JsonNode parent, String name, ItemParser<T> parser) throws AnswerParseException {
        List<T> items = new ArrayList<>();
        for (JsonNode item : array(parent, name)) {
            requireObject(item, name + "[]");
            items.add(parser.parse(item));
        }
        return items;
    }

    private static String string(JsonNode parent, String name) throws AnswerParseException {
        JsonNode value = parent.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw wrongType(name, "a string", value);
        }
        return value.textValue();
    }

    private static int integer(JsonNode parent, String name) throws AnswerParseException {
        JsonNode value = parent.get(name);
        if (value == null || value.isNull()) {
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw wrongType(name, "an integer", value);
        }
        return value.intValue();
    }

    private static JsonNode object(JsonNode parent, String name) throws AnswerParseException {
        JsonNode value = parent.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        requireObject(value, name);
        return value;
    }

    private static Iterable<JsonNode> array(JsonNode parent, String name) throws AnswerParseException {
        JsonNode value = parent.get(name);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw wrongType(name, "an array", value);
        }
        return value;
    }

    private static List<String> strings(JsonNode parent, String name) throws AnswerParseException {
        JsonNode value = parent.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : array(parent, name)) {
            if (!item.isTextual()) {
                throw wrongType(name + "[]", "a string", item);
            }
            items.add(item.textValue());
        }
        return items;
    }

    private static void requireObject(JsonNode value, String name) throws AnswerParseException {
        if (!value.isObject()) {
            throw wrongType(name, "an object", value);
        }
    }

    private static AnswerParseException wrongType(String name, String expected, JsonNode value) {
        return new AnswerParseException("answer member '" + name + "' should be " + expected + " but is "
                + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
}
