package dev.chatbridge.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteBufferFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Parses one answer object (a JSON answer body, or the data of one SSE event) with Jackson's non-blocking parser, fed
 * chunk by chunk as the bytes arrive, and folds it into an {@link AnswerAggregator} member by member. No copy of the
 * whole body and no tree of it is made: {@code text} and {@code requestId} go straight in, unknown members are skipped
 * token by token, and each item ({@code toolCalls} item, {@code reference}, {@code sources}, {@code tool}) becomes one
 * small tree of at most {@link AnswerCaps#itemValues()} values, handed over when complete. Nesting is bounded by
 * {@link #MAX_DEPTH}.
 *
 * <p>Not thread-safe: one folder per object, fed by one thread at a time.
 */
final class JsonAnswerFolder {

    /** Deepest nesting of arrays and objects accepted; answers nest five deep. */
    static final int MAX_DEPTH = 64;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();

    private enum State {
        START,
        MEMBERS,
        VALUE,
        TOOL_CALLS,
        ITEM,
        SKIP,
        DONE
    }

    private final AnswerAggregator aggregator;
    private final AnswerCaps caps;
    private final JsonNodeFactory nodes;
    private final JsonParser parser;
    private final ByteBufferFeeder feeder;

    private State state = State.START;
    private String member;
    private State afterSkip;
    private int skipDepth;
    private ItemTree item;

    JsonAnswerFolder(AnswerAggregator aggregator, ObjectMapper mapper, AnswerCaps caps) {
        this.aggregator = aggregator;
        this.caps = caps;
        this.nodes = mapper.getNodeFactory();
        try {
            this.parser = FACTORY.createNonBlockingByteBufferParser();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a non-blocking JSON parser", e);
        }
        this.feeder = (ByteBufferFeeder) parser.getNonBlockingInputFeeder();
    }

    /** Parses the remaining bytes of {@code bytes} (all consumed before this returns). */
    void feed(ByteBuffer bytes) throws AnswerParseException, AnswerTooLargeException {
        try {
            feeder.feedInput(bytes);
        } catch (IOException e) {
            throw invalid(e);
        }
        drain();
    }

    /** The input ended: fails unless it was exactly one complete object. */
    void end() throws AnswerParseException, AnswerTooLargeException {
        feeder.endOfInput();
        try {
            drain();
        } finally {
            close();
        }
        if (state != State.DONE) {
            throw new AnswerParseException(
                    state == State.START
                            ? "the answer is empty"
                            : "the answer ended before its JSON object was complete");
        }
    }

    /** Returns the parser's buffers; the folder is unusable afterwards. */
    void close() {
        try {
            parser.close();
        } catch (IOException e) {
            // nothing to release but buffers; a failure here leaves them to the garbage collector
        }
    }

    private void drain() throws AnswerParseException, AnswerTooLargeException {
        try {
            JsonToken token;
            while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
                on(token);
            }
        } catch (JacksonException e) {
            throw invalid(e);
        } catch (IOException e) {
            throw invalid(e);
        }
    }

    private void on(JsonToken token) throws IOException, AnswerParseException, AnswerTooLargeException {
        switch (state) {
            case START -> {
                if (token != JsonToken.START_OBJECT) {
                    throw new AnswerParseException("answer is not a JSON object");
                }
                aggregator.startObject();
                state = State.MEMBERS;
            }
            case MEMBERS -> {
                if (token == JsonToken.END_OBJECT) {
                    aggregator.endObject();
                    state = State.DONE;
                } else {
                    member = parser.currentName();
                    state = State.VALUE;
                }
            }
            case VALUE -> value(token);
            case TOOL_CALLS -> {
                if (token == JsonToken.END_ARRAY) {
                    state = State.MEMBERS;
                } else {
                    if (token != JsonToken.START_OBJECT) {
                        throw AnswerAggregator.wrongType("toolCalls[]", "an object", kind(token));
                    }
                    aggregator.beforeToolCall();
                    startItem("toolCalls[]", token);
                }
            }
            case ITEM -> {
                if (item.add(token)) {
                    itemDone();
                }
            }
            case SKIP -> {
                if (token.isStructStart()) {
                    skipDepth++;
                } else if (token.isStructEnd()) {
                    skipDepth--;
                }
                if (skipDepth == 0) {
                    state = afterSkip;
                }
            }
            case DONE -> throw new AnswerParseException("the answer has content after its JSON object");
            default -> throw new IllegalStateException("unknown state " + state);
        }
    }

    private void value(JsonToken token) throws IOException, AnswerParseException, AnswerTooLargeException {
        state = State.MEMBERS;
        if (token == JsonToken.VALUE_NULL) {
            return; // null counts as absent
        }
        switch (member) {
            case "text" -> aggregator.text(string(token));
            case "requestId" -> aggregator.requestId(string(token));
            case "toolCalls" -> {
                if (token != JsonToken.START_ARRAY) {
                    throw AnswerAggregator.wrongType(member, "an array", kind(token));
                }
                aggregator.markRecognised();
                state = State.TOOL_CALLS;
            }
            case "reference", "sources", "tool" -> {
                if (token != JsonToken.START_OBJECT) {
                    throw AnswerAggregator.wrongType(member, "an object", kind(token));
                }
                if (member.equals("reference")) {
                    aggregator.beforeReference();
                } else if (member.equals("tool")) {
                    aggregator.beforeTool();
                }
                startItem(member, token);
            }
            case "type", "title", "detail", "instance" -> {
                if (token == JsonToken.VALUE_STRING) {
                    aggregator.problemText(member, parser.getText());
                } else {
                    skip(token);
                }
            }
            case "status" -> {
                if (token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() == JsonParser.NumberType.INT) {
                    aggregator.problemStatus(parser.getIntValue());
                } else {
                    skip(token);
                }
            }
            case "error" -> {
                aggregator.errorMember();
                skip(token);
            }
            default -> skip(token);
        }
    }

    private String string(JsonToken token) throws IOException, AnswerParseException {
        if (token != JsonToken.VALUE_STRING) {
            throw AnswerAggregator.wrongType(member, "a string", kind(token));
        }
        return parser.getText();
    }

    private void skip(JsonToken token) {
        if (token.isStructStart()) {
            afterSkip = state;
            skipDepth = 1;
            state = State.SKIP;
        }
    }

    private void startItem(String name, JsonToken first) throws IOException, AnswerTooLargeException {
        item = new ItemTree(name, state == State.TOOL_CALLS ? State.TOOL_CALLS : State.MEMBERS);
        state = State.ITEM;
        item.add(first);
    }

    private void itemDone() throws AnswerParseException, AnswerTooLargeException {
        ItemTree done = item;
        item = null;
        state = done.after;
        switch (done.name) {
            case "toolCalls[]" -> aggregator.toolCall(done.root);
            case "reference" -> aggregator.reference(done.root);
            case "sources" -> aggregator.sources(done.root);
            case "tool" -> aggregator.tool(done.root);
            default -> throw new IllegalStateException("unknown item " + done.name);
        }
    }

    private static String kind(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "object";
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> token.name().toLowerCase(Locale.ROOT);
        };
    }

    private static AnswerParseException invalid(IOException e) {
        String detail = e instanceof JacksonException json ? json.getOriginalMessage() : e.getMessage();
        return new AnswerParseException("answer object is not valid JSON: " + detail, e);
    }

    /** The tree of one item, built token by token, at most {@link AnswerCaps#itemValues()} values. */
    private final class ItemTree {

        final String name;
        final State after;
        final Deque<ContainerNode<?>> open = new ArrayDeque<>();
        JsonNode root;
        int values;

        ItemTree(String name, State after) {
            this.name = name;
            this.after = after;
        }

        /** Adds one token; true when the item is complete. */
        boolean add(JsonToken token) throws IOException, AnswerTooLargeException {
            if (token == JsonToken.FIELD_NAME) {
                return false;
            }
            if (token.isStructEnd()) {
                open.pop();
                return open.isEmpty();
            }
            if (++values > caps.itemValues()) {
                throw new AnswerTooLargeException("the answer has more than " + caps.itemValues()
                        + " JSON values in one " + name + " item (a fixed cap of chat-bridge, see docs/architecture.md,"
                        + " \"Answers: what counts as one, and how big it may be\")");
            }
            JsonNode node = switch (token) {
                case START_OBJECT -> nodes.objectNode();
                case START_ARRAY -> nodes.arrayNode();
                case VALUE_STRING -> nodes.textNode(parser.getText());
                case VALUE_NUMBER_INT ->
                    switch (parser.getNumberType()) {
                        case INT -> nodes.numberNode(parser.getIntValue());
                        case LONG -> nodes.numberNode(parser.getLongValue());
                        default -> nodes.numberNode(parser.getBigIntegerValue());
                    };
                case VALUE_NUMBER_FLOAT -> nodes.numberNode(parser.getDoubleValue());
                case VALUE_TRUE -> nodes.booleanNode(true);
                case VALUE_FALSE -> nodes.booleanNode(false);
                case VALUE_NULL -> nodes.nullNode();
                default -> throw new IllegalStateException("unexpected token " + token);
            };
            ContainerNode<?> parent = open.peek();
            if (parent == null) {
                root = node;
            } else if (parent instanceof ObjectNode object) {
                object.set(parser.currentName(), node);
            } else {
                ((ArrayNode) parent).add(node);
            }
            if (token.isStructStart()) {
                open.push((ContainerNode<?>) node);
                return false;
            }
            return open.isEmpty();
        }
    }
}
