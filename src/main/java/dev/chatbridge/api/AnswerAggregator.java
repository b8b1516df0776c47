package dev.chatbridge.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.EnterpriseResult;
import dev.chatbridge.events.ProblemDetails;
import dev.chatbridge.events.Reference;
import dev.chatbridge.events.ToolCall;
import dev.chatbridge.events.ToolCallStatus;
import dev.chatbridge.events.ToolEvent;
import dev.chatbridge.events.ToolResources;
import dev.chatbridge.events.ToolResponse;
import dev.chatbridge.events.ToolStep;
import dev.chatbridge.events.WebSearchSource;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Folds the answer objects of one call (the single JSON object, or one per SSE event) into a {@link ChatAnswer}, in
 * order: text concatenated, every list appended, tool events placed at the text length reached at the end of their
 * object, the last non-null {@code requestId} kept.
 *
 * <p>Unknown members are ignored; JSON null counts as absent; a member of the wrong JSON type is an
 * {@link AnswerParseException}. Free-form objects ({@code data}, {@code custom}) are kept as their JSON text. Items are
 * counted against {@link AnswerCaps} as they come; passing a cap is an {@link AnswerTooLargeException}.
 *
 * <p>It is fed member by member ({@link JsonAnswerFolder} parses the bytes as they arrive and hands over one small tree
 * per item) and also records what tells an answer from an error: whether any answer member came
 * ({@link #recognised()}), an {@code error} member, and the problem-details members {@code type}, {@code title},
 * {@code status}, {@code detail}, {@code instance}.
 *
 * <p>Not thread-safe: one aggregator per call, fed by one thread at a time.
 */
final class AnswerAggregator {

    private final ObjectMapper mapper;
    private final AnswerCaps caps;
    private final StringBuilder text = new StringBuilder();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private final List<String> sourcesIds = new ArrayList<>();
    private final List<ToolEvent> toolEvents = new ArrayList<>();
    private final List<JsonNode> pendingTools = new ArrayList<>();
    private String apiRequestId;
    private int objects;
    private int toolResults;
    private boolean recognised;
    private boolean error;
    private boolean problemObject;
    private boolean objectRecognised;
    private boolean objectNamesProblem;
    private boolean objectHasStatus;
    private String problemType;
    private String problemTitle;
    private Integer problemStatus;
    private String problemDetail;
    private String problemInstance;

    AnswerAggregator(ObjectMapper mapper) {
        this(mapper, AnswerCaps.DEFAULT);
    }

    AnswerAggregator(ObjectMapper mapper, AnswerCaps caps) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.caps = Objects.requireNonNull(caps, "caps");
    }

    /** Adds one answer object given as JSON text, parsed as a stream (no tree of the whole object). */
    void accept(String json) throws AnswerParseException, AnswerTooLargeException {
        JsonAnswerFolder folder = new JsonAnswerFolder(this, mapper, caps);
        folder.feed(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)));
        folder.end();
    }

    /** Adds one parsed answer object. */
    void accept(JsonNode node) throws AnswerParseException, AnswerTooLargeException {
        if (node == null || !node.isObject()) {
            throw new AnswerParseException("answer is not a JSON object");
        }
        startObject();
        String piece = string(node, "text");
        if (piece != null) {
            text(piece);
        }
        JsonNode calls = node.get("toolCalls");
        if (calls != null && !calls.isNull()) {
            for (JsonNode call : array(node, "toolCalls")) {
                beforeToolCall();
                toolCall(call);
            }
            markRecognised();
        }
        JsonNode reference = object(node, "reference");
        if (reference != null) {
            beforeReference();
            reference(reference);
        }
        JsonNode sources = object(node, "sources");
        if (sources != null) {
            sources(sources);
        }
        JsonNode tool = object(node, "tool");
        if (tool != null) {
            beforeTool();
            tool(tool);
        }
        String requestId = string(node, "requestId");
        if (requestId != null) {
            requestId(requestId);
        }
        endObject();
    }

    /** An answer object starts. */
    void startObject() {
        objects++;
        objectRecognised = recognised;
        recognised = false;
        objectNamesProblem = false;
        objectHasStatus = false;
    }

    /** The answer object ends: its tool events are placed at the text length reached. */
    void endObject() throws AnswerParseException, AnswerTooLargeException {
        for (JsonNode tool : pendingTools) {
            toolEvents.add(toolEvent(tool));
        }
        pendingTools.clear();
        if (!recognised && objectHasStatus && objectNamesProblem) {
            problemObject = true; // problem details, also when earlier objects (events) carried text
        }
        recognised |= objectRecognised;
    }

    /** A {@code text} piece. */
    void text(String piece) {
        text.append(piece);
        recognised = true;
    }

    /** A {@code toolCalls} array (possibly empty) came: the object is an answer. */
    void markRecognised() {
        recognised = true;
    }

    /** Fails when one more tool call would pass its cap; call before building the item. */
    void beforeToolCall() throws AnswerTooLargeException {
        if (toolCalls.size() >= caps.toolCalls()) {
            throw tooMany(caps.toolCalls(), "toolCalls items");
        }
    }

    /** One {@code toolCalls} item. */
    void toolCall(JsonNode call) throws AnswerParseException, AnswerTooLargeException {
        beforeToolCall();
        requireObject(call, "toolCalls[]");
        toolCalls.add(new ToolCall(
                string(call, "id"),
                string(call, "name"),
                string(call, "type"),
                string(call, "callId"),
                string(call, "arguments")));
        recognised = true;
    }

    /** Fails when one more reference would pass its cap. */
    void beforeReference() throws AnswerTooLargeException {
        if (references.size() >= caps.references()) {
            throw tooMany(caps.references(), "reference objects");
        }
    }

    /** One {@code reference} object. */
    void reference(JsonNode reference) throws AnswerParseException, AnswerTooLargeException {
        beforeReference();
        references.add(new Reference(strings(reference, "referenceIds"), integer(reference, "position")));
        recognised = true;
    }

    /** One {@code sources} object. */
    void sources(JsonNode sources) throws AnswerParseException, AnswerTooLargeException {
        List<String> ids = strings(sources, "sourcesIds");
        if (ids != null) {
            if (ids.size() > caps.sourcesIds() - sourcesIds.size()) {
                throw tooMany(caps.sourcesIds(), "sourcesIds");
            }
            sourcesIds.addAll(ids);
        }
        recognised = true;
    }

    /** Fails when one more tool event would pass its cap. */
    void beforeTool() throws AnswerTooLargeException {
        if (toolEvents.size() + pendingTools.size() >= caps.toolEvents()) {
            throw tooMany(caps.toolEvents(), "tool objects");
        }
    }

    /** One {@code tool} object; it becomes a tool event at the end of its answer object. */
    void tool(JsonNode tool) throws AnswerParseException, AnswerTooLargeException {
        beforeTool();
        requireObject(tool, "tool");
        pendingTools.add(tool);
        recognised = true;
    }

    /** A non-null {@code requestId}. */
    void requestId(String requestId) {
        apiRequestId = requestId;
    }

    /** A non-null {@code error} member: whatever else came, this is not an answer. */
    void errorMember() {
        error = true;
    }

    /** A problem-details text member ({@code type}, {@code title}, {@code detail}, {@code instance}). */
    void problemText(String name, String value) {
        objectNamesProblem |= name.equals("type") || name.equals("title");
        switch (name) {
            case "type" -> problemType = value;
            case "title" -> problemTitle = value;
            case "detail" -> problemDetail = value;
            case "instance" -> problemInstance = value;
            default -> throw new IllegalArgumentException("not a problem-details text member: " + name);
        }
    }

    /** A problem-details {@code status} member. */
    void problemStatus(int status) {
        problemStatus = status;
        objectHasStatus = true;
    }

    /** How many answer objects were added. */
    int objects() {
        return objects;
    }

    /** Whether an answer member (text, toolCalls, reference, sources, tool) came with a non-null value. */
    boolean recognised() {
        return recognised;
    }

    /** Whether a non-null {@code error} member came. */
    boolean error() {
        return error;
    }

    /** The integer {@code status} member of the last object that had one, or null. */
    Integer problemStatus() {
        return problemStatus;
    }

    /**
     * Whether an object looked like RFC 9457 problem details rather than an answer: no answer member, but
     * {@code status} with {@code type} or {@code title}.
     */
    boolean problemShaped() {
        return problemObject;
    }

    /** The problem-details members seen (no {@code errors}, no extensions), or null when none. */
    ProblemDetails problemMembers() {
        if (problemType == null
                && problemTitle == null
                && problemStatus == null
                && problemDetail == null
                && problemInstance == null) {
            return null;
        }
        return ProblemDetails.newBuilder()
                .setType(problemType)
                .setTitle(problemTitle)
                .setStatus(problemStatus)
                .setDetail(problemDetail)
                .setInstance(problemInstance)
                .build();
    }

    /** The answer aggregated so far. */
    ChatAnswer result() {
        return new ChatAnswer(text.toString(), toolCalls, references, sourcesIds, toolEvents, apiRequestId);
    }

    private ToolEvent toolEvent(JsonNode tool) throws AnswerParseException, AnswerTooLargeException {
        JsonNode status = object(tool, "toolCallStatus");
        JsonNode step = object(tool, "toolStep");
        JsonNode response = object(tool, "response");
        return new ToolEvent(
                status == null ? null : new ToolCallStatus(string(status, "toolCallId"), string(status, "status")),
                step == null ? null : new ToolStep(string(step, "stepDescription"), string(step, "toolId")),
                response == null ? null : toolResponse(response),
                text.length());
    }

    private ToolResponse toolResponse(JsonNode response) throws AnswerParseException, AnswerTooLargeException {
        JsonNode resources = object(response, "resources");
        return new ToolResponse(
                string(response, "name"),
                string(response, "toolId"),
                resources == null ? null : toolResources(resources));
    }

    private ToolResources toolResources(JsonNode resources) throws AnswerParseException, AnswerTooLargeException {
        JsonNode enterprise = object(resources, "enterprise");
        JsonNode webSearch = object(resources, "webSearch");
        JsonNode custom = object(resources, "custom");
        int results = size(enterprise, "results") + size(webSearch, "sources");
        if (results > caps.toolResults() - toolResults) {
            throw tooMany(caps.toolResults(), "tool results (enterprise results and web-search sources)");
        }
        toolResults += results;
        return new ToolResources(
                enterprise == null ? null : list(enterprise, "results", this::enterpriseResult),
                webSearch == null ? null : list(webSearch, "sources", this::webSearchSource),
                custom == null ? null : custom.toString());
    }

    private EnterpriseResult enterpriseResult(JsonNode result) throws AnswerParseException {
        JsonNode data = object(result, "data");
        return new EnterpriseResult(
                string(result, "id"),
                string(result, "appId"),
                string(result, "type"),
                string(result, "externalId"),
                string(result, "name"),
                data == null ? null : data.toString(),
                string(result, "title"),
                string(result, "subtitle"),
                string(result, "url"));
    }

    private WebSearchSource webSearchSource(JsonNode source) throws AnswerParseException {
        return new WebSearchSource(
                string(source, "id"),
                string(source, "url"),
                string(source, "icon"),
                string(source, "title"),
                string(source, "siteName"),
                string(source, "description"));
    }

    private static int size(JsonNode parent, String name) {
        JsonNode value = parent == null ? null : parent.get(name);
        return value == null ? 0 : value.size();
    }

    private static AnswerTooLargeException tooMany(int cap, String what) {
        return new AnswerTooLargeException("the answer has more than " + cap + " " + what + " (a fixed cap of"
                + " chat-bridge, see docs/architecture.md, \"Answers: what counts as one, and how big it may be\")");
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
        return wrongType(name, expected, value.getNodeType().name().toLowerCase(Locale.ROOT));
    }

    /** The exception for member {@code name} that should be {@code expected} but is {@code actual} (a JSON type). */
    static AnswerParseException wrongType(String name, String expected, String actual) {
        return new AnswerParseException("answer member '" + name + "' should be " + expected + " but is " + actual);
    }
}
