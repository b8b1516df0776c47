package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ApiSimulatorAnswersTest {

    private ApiSimulator simulator;
    private SimTestClient client;

    @BeforeEach
    void start() {
        simulator = new ApiSimulator(SimulatorConfig.builder()
                        .chunks(4)
                        .chunkInterval(Duration.ofMillis(5))
                        .build())
                .start();
        client = new SimTestClient(simulator.baseUrl());
    }

    @AfterEach
    void stop() {
        client.close();
        simulator.close();
    }

    @Test
    void shouldStreamServerSentEventsWhenAcceptAllowsThem() {
        // When the client accepts text/event-stream
        SimTestClient.Reply reply = client.chat(SimTestClient.body("T1", "hello"), SimTestClient.SSE_ACCEPT, "r-1");

        // Then the answer is an SSE stream of JSON objects whose texts make up the answer
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("text/event-stream");
        assertThat(reply.body()).contains(": keep-alive").contains("event: message");
        List<JsonNode> events = reply.events();
        assertThat(events).hasSize(4);
        String text = events.stream().map(e -> e.get("text").asText()).reduce("", String::concat);
        assertThat(text).isEqualTo("Turn 1 of thread T1: you said \"hello\". Voilà, réponse prête 🙂");
        assertThat(events)
                .allSatisfy(e -> assertThat(e.get("requestId").asText()).startsWith("sim-"));
    }

    @Test
    void shouldAnswerOneJsonObjectWhenOnlyJsonIsAccepted() {
        SimTestClient.Reply reply = client.chat(SimTestClient.body("T1", "hello"), "application/json", "r-1");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/json");
        JsonNode answer = reply.json();
        assertThat(answer.get("text").asText())
                .isEqualTo("Turn 1 of thread T1: you said \"hello\". Voilà, réponse prête 🙂");
        assertThat(answer.get("requestId").asText()).startsWith("sim-");
    }

    @Test
    void shouldNumberTurnsPerThread() {
        client.chat(SimTestClient.body("A", "one"), "application/json", "a-1");
        client.chat(SimTestClient.body("B", "one"), "application/json", "b-1");
        SimTestClient.Reply second = client.chat(SimTestClient.body("A", "two"), "application/json", "a-2");

        assertThat(second.json().get("text").asText()).startsWith("Turn 2 of thread A: you said \"two\"");
    }

    @Test
    void shouldCarryEveryToolFieldKindSpreadOverEventsWhenAskedForTools() throws Exception {
        // When the text asks for tools
        SimTestClient.Reply reply = client.chat(
                SimTestClient.body("T1", "find the café policy #tools"), SimTestClient.SSE_ACCEPT, "r-tools");

        // Then, over the events, every field kind of the contract appears, named as in api.md
        List<JsonNode> events = reply.events();
        assertThat(events).hasSize(Answers.TOOL_PARTS);
        JsonNode call = events.get(0).get("toolCalls").get(0);
        assertThat(call.fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder("id", "name", "type", "callId", "arguments");
        assertThat(call.get("arguments").isTextual()).isTrue();
        assertThat(SimTestClient.JSON
                        .readTree(call.get("arguments").asText())
                        .get("query")
                        .asText())
                .isEqualTo("find the café policy #tools");
        assertThat(events.get(0).at("/tool/toolCallStatus/status").asText()).isEqualTo("Start");
        assertThat(events.get(1).at("/tool/toolStep/stepDescription").isTextual())
                .isTrue();
        assertThat(events.get(1).at("/tool/toolStep/toolId").asText()).isEqualTo("enterprise_search");
        JsonNode resources = events.get(2).at("/tool/response/resources");
        JsonNode result = resources.at("/enterprise/results/0");
        assertThat(result.fieldNames())
                .toIterable()
                .contains("id", "appId", "type", "externalId", "name", "data", "title", "subtitle", "url");
        assertThat(result.at("/data/nested/deeper/thread").asText()).isEqualTo("T1");
        assertThat(resources.at("/webSearch/sources/0").fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder("id", "url", "icon", "title", "siteName", "description");
        assertThat(resources.at("/custom/debug/shards").isArray()).isTrue();
        assertThat(events.get(3).at("/reference/referenceIds").isArray()).isTrue();
        assertThat(events.get(3).at("/reference/position").isInt()).isTrue();
        assertThat(events.get(3).at("/sources/sourcesIds/0").asText()).isEqualTo("doc-1");
        assertThat(events.get(4).at("/tool/toolCallStatus/status").asText()).isEqualTo("End");
        assertThat(events.get(4).get("text").isNull())
                .as("event past the text pieces has text null")
                .isTrue();
    }

    @Test
    void shouldCarryToolFieldsInASingleJsonAnswer() {
        JsonNode answer = client.chat(SimTestClient.body("T1", "#tools please"), "application/json", "r-2")
                .json();

        assertThat(answer.at("/toolCalls/0/callId").isTextual()).isTrue();
        assertThat(answer.at("/tool/toolCallStatus/status").asText()).isEqualTo("End");
        assertThat(answer.at("/tool/response/resources/enterprise/results/0/data")
                        .isObject())
                .isTrue();
        assertThat(answer.at("/reference/position").asInt())
                .isEqualTo(answer.get("text").asText().length());
        assertThat(answer.at("/sources/sourcesIds").size()).isEqualTo(2);
    }

    @Test
    void shouldRecordExactlyTheChunksTheClientReceived() {
        // Given a streamed answer and a JSON answer
        SimTestClient.Reply streamed =
                client.chat(SimTestClient.body("T1", "hi #tools"), SimTestClient.SSE_ACCEPT, "r-s");
        SimTestClient.Reply single = client.chat(SimTestClient.body("T2", "hi"), "application/json", "r-j");

        // Then sentChunks holds the same JSON objects in the same order
        List<JsonNode> received = streamed.events();
        String requestId = received.get(0).get("requestId").asText();
        assertThat(simulator.sentChunks(requestId)).hasValue(received);
        assertThat(simulator.sentChunks(single.json().get("requestId").asText()))
                .hasValue(List.of(single.json()));
        assertThat(simulator.sentChunks("sim-unknown")).isEmpty();
    }

    @Test
    void shouldServeManyFramesIntactWhenUtf8IsSplitAcrossWrites() {
        SimulatorConfig config = SimulatorConfig.builder()
                .chunks(30)
                .chunkInterval(Duration.ZERO)
                .build();
        try (ApiSimulator many = new ApiSimulator(config).start();
                SimTestClient c = new SimTestClient(many.baseUrl())) {
            SimTestClient.Reply reply = c.chat(SimTestClient.body("T", "ça va ? 🙂"), SimTestClient.SSE_ACCEPT, "r");

            String text =
                    reply.events().stream().map(e -> e.get("text").asText()).reduce("", String::concat);
            assertThat(text).isEqualTo("Turn 1 of thread T: you said \"ça va ? 🙂\". Voilà, réponse prête 🙂");
        }
    }
}
