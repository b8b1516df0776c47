package dev.chatbridge.api;

import dev.chatbridge.events.EnterpriseResult;
import dev.chatbridge.events.Reference;
import dev.chatbridge.events.ToolCall;
import dev.chatbridge.events.ToolCallStatus;
import dev.chatbridge.events.ToolEvent;
import dev.chatbridge.events.ToolResources;
import dev.chatbridge.events.ToolResponse;
import dev.chatbridge.events.ToolStep;
import dev.chatbridge.events.WebSearchSource;
import java.util.List;

/** One answer with every kind of member, as answer objects (one per SSE event) and as the expected aggregate. */
final class AnswerFixtures {

    private AnswerFixtures() {}

    /** The answer objects, in order; unknown members sprinkled in. */
    static final List<String> CHUNKS = List.of("""
            {"text":"Let me ","requestId":null,"vendorNew":{"x":1}}""", """
            {"tool":{"toolCallStatus":{"toolCallId":"tc-1","status":"Start"},"toolStep":null,"response":null}}""", """
            {"toolCalls":[{"id":"call-1","name":"search","type":"function","callId":"tc-1",\
            "arguments":"{\\"q\\":\\"kafka\\"}"},\
            {"id":"call-2","name":"lookup","type":"function","callId":"tc-2","arguments":"{}","extra":true}]}""", """
            {"tool":{"toolStep":{"stepDescription":"Searching the wiki","toolId":"wiki"}}}""", """
            {"tool":{"response":{"name":"wiki search","toolId":"wiki","resources":{\
            "enterprise":{"results":[{"id":"r1","appId":"confluence","type":"page","externalId":"ext-1","name":"Kafka",\
            "data":{"space":"ENG","tags":["a","b"],"nested":{"n":1.5,"ok":true,"none":null}},"title":"Kafka page",\
            "subtitle":"Eng","url":"https://wiki/kafka"},{"id":"r2","data":null}]},\
            "webSearch":{"sources":[{"id":"w1","url":"https://kafka.apache.org","icon":"https://kafka.apache.org/favicon.ico",\
            "title":"Apache Kafka","siteName":"Kafka","description":"Streaming","rank":3}]},\
            "custom":{"score":0.9,"labels":["x"]}}}}}""", """
            {"text":"check: Kafka é😀 ","reference":{"referenceIds":["r1","w1"],"position":7}}""", """
            {"reference":{"referenceIds":null,"position":12},"sources":{"sourcesIds":["r1","w1"]}}""", """
            {"tool":{"toolCallStatus":{"toolCallId":"tc-1","status":"End"}},"sources":{"sourcesIds":null}}""", """
            {"text":"done.","sources":{"sourcesIds":["r2"]},"requestId":"api-42"}""", """
            {"text":null,"toolCalls":null,"reference":null,"sources":null,"tool":null,"requestId":null}""");

    static final String TEXT = "Let me check: Kafka é😀 done.";

    static final List<ToolCall> TOOL_CALLS = List.of(
            new ToolCall("call-1", "search", "function", "tc-1", "{\"q\":\"kafka\"}"),
            new ToolCall("call-2", "lookup", "function", "tc-2", "{}"));

    static final List<Reference> REFERENCES = List.of(new Reference(List.of("r1", "w1"), 7), new Reference(null, 12));

    static final List<String> SOURCES_IDS = List.of("r1", "w1", "r2");

    static final List<ToolEvent> TOOL_EVENTS = List.of(
            new ToolEvent(new ToolCallStatus("tc-1", "Start"), null, null, 7),
            new ToolEvent(null, new ToolStep("Searching the wiki", "wiki"), null, 7),
            new ToolEvent(
                    null,
                    null,
                    new ToolResponse(
                            "wiki search",
                            "wiki",
                            new ToolResources(
                                    List.of(
                                            new EnterpriseResult(
                                                    "r1",
                                                    "confluence",
                                                    "page",
                                                    "ext-1",
                                                    "Kafka",
                                                    "{\"space\":\"ENG\",\"tags\":[\"a\",\"b\"],\"nested\":{\"n\":1.5,\"ok\":true,\"none\":null}}",
                                                    "Kafka page",
                                                    "Eng",
                                                    "https://wiki/kafka"),
                                            new EnterpriseResult("r2", null, null, null, null, null, null, null, null)),
                                    List.of(new WebSearchSource(
                                            "w1",
                                            "https://kafka.apache.org",
                                            "https://kafka.apache.org/favicon.ico",
                                            "Apache Kafka",
                                            "Kafka",
                                            "Streaming")),
                                    "{\"score\":0.9,\"labels\":[\"x\"]}")),
                    7),
            new ToolEvent(new ToolCallStatus("tc-1", "End"), null, null, 24));

    static final String API_REQUEST_ID = "api-42";

    static ChatAnswer expected() {
        return new ChatAnswer(TEXT, TOOL_CALLS, REFERENCES, SOURCES_IDS, TOOL_EVENTS, API_REQUEST_ID);
    }

    /** The chunks as one SSE body, one event per chunk. */
    static String[] sseEvents() {
        return CHUNKS.stream().map(chunk -> "data: " + chunk + "\n\n").toArray(String[]::new);
    }
}
