package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** 2xx answers that are not answers, redirects, and huge answers. */
@Timeout(60)
class ApiSimulatorBadAnswersTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String JSON = "application/json";
    private static final int HUGE = 17_300_000;

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
    void shouldAnswerAnEmptyObjectThenAnAnswer() {
        SimTestClient.Reply reply = chat("#fault:200-empty", SimTestClient.SSE_ACCEPT, "e");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/json");
        assertThat(reply.body()).isEqualTo("{}");
        assertThat(chat("#fault:200-empty", JSON, "e").json().get("text").asText())
                .contains("réponse prête");
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("200", 2L));
    }

    @Test
    void shouldAnswerAnErrorObjectWithStatus200() {
        SimTestClient.Reply reply = chat("#fault:200-error", JSON, "err");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/json");
        JsonNode error = reply.json().get("error");
        assertThat(error.get("code").asText()).isEqualTo("model_overloaded");
        assertThat(error.get("message").asText()).isEqualTo("The model is overloaded.");
        assertThat(reply.json().has("text")).isFalse();
    }

    @Test
    void shouldAnswerProblemDetailsWithStatus200() {
        SimTestClient.Reply reply = chat("#fault:200-problem", JSON, "prob");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
        assertThat(reply.json().get("title").asText()).isEqualTo("Service Unavailable");
        assertThat(reply.json().get("status").asInt()).isEqualTo(503);
        assertThat(reply.json().get("detail").isTextual()).isTrue();
    }

    @Test
    void shouldStreamThreeEmptyEventsOrAnEmptyObject() {
        SimTestClient.Reply sse = chat("#fault:200-sse-emptyx2", SimTestClient.SSE_ACCEPT, "se");
        assertThat(sse.status()).isEqualTo(200);
        assertThat(sse.headers().get("Content-Type")).startsWith("text/event-stream");
        assertThat(sse.events())
                .hasSize(3)
                .allSatisfy(e -> assertThat(e.isObject() && e.isEmpty()).isTrue());

        SimTestClient.Reply json = chat("#fault:200-sse-emptyx2", JSON, "se");
        assertThat(json.headers().get("Content-Type")).startsWith("application/json");
        assertThat(json.body()).isEqualTo("{}");
    }

    @Test
    void shouldPutBytesThatAreNotUtf8InADataLine() {
        // When the client accepts SSE
        SimTestClient.RawReply sse =
                client.raw(SimTestClient.body("T", "#fault:200-sse-badutf8"), SimTestClient.SSE_ACCEPT, WAIT);

        // Then the stream is well framed, but one data line is not UTF-8
        assertThat(sse.status()).isEqualTo(200);
        assertThat(sse.headers().get("Content-Type")).startsWith("text/event-stream");
        List<byte[]> bad = new ArrayList<>();
        for (byte[] line : lines(sse.body())) {
            if (startsWith(line, "data: ") && !isUtf8(line)) {
                bad.add(line);
            }
        }
        assertThat(bad).hasSize(1);
        assertThat(indexOf(bad.get(0), (byte) 0xFF)).isPositive();
        assertThat(sse.text()).contains("data: {\"text\":\"Turn 1");

        // And without SSE, the JSON answer carries the same bytes
        SimTestClient.RawReply json = client.raw(SimTestClient.body("T2", "#fault:200-sse-badutf8"), JSON, WAIT);
        assertThat(json.status()).isEqualTo(200);
        assertThat(json.headers().get("Content-Type")).startsWith("application/json");
        assertThat(isUtf8(json.body())).isFalse();
    }

    @Test
    void shouldRedirectToALoginPageOfTheSimulator() {
        SimTestClient.Reply reply = chat("#fault:302", JSON, "r302");

        assertThat(reply.status()).isEqualTo(302);
        String location = reply.headers().get("Location");
        assertThat(location).startsWith("/_sim/login");
        SimTestClient.Reply login = client.send("GET", location, null, Map.of(), WAIT);
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.headers().get("Content-Type")).startsWith("text/html");
        assertThat(login.body()).contains("<form");
        assertThat(chat("#fault:302", JSON, "r302").status()).as("the retry").isEqualTo(200);
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("302", 1L));
    }

    @Test
    void shouldAnswerAHugeJsonBodyOfToolCalls() throws IOException {
        SimTestClient.RawReply reply =
                client.raw(SimTestClient.body("T", "#fault:huge"), SimTestClient.SSE_ACCEPT, WAIT);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/json");
        assertThat(reply.headers().get("Content-Length")).isEqualTo(Integer.toString(HUGE));
        assertThat(reply.body()).hasSize(HUGE);
        assertThat(reply.reads()).as("network reads").isGreaterThan(10);
        assertThat(countToolCalls(reply.body(), 0, reply.body().length)).isEqualTo((HUGE - 18) / 3 + 1);
    }

    @Test
    void shouldStreamAHugeAnswerAsEventsBelowOneMebibyteEach() throws IOException {
        SimTestClient.RawReply reply =
                client.raw(SimTestClient.body("T", "#fault:huge-sse"), SimTestClient.SSE_ACCEPT, WAIT);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("text/event-stream");
        assertThat(reply.headers().get("Content-Length")).isNull();
        assertThat((long) reply.body().length).isBetween((long) HUGE, (long) HUGE + (1 << 20));
        int events = 0;
        long calls = 0;
        for (byte[] line : lines(reply.body())) {
            if (startsWith(line, "data: ")) {
                assertThat(line.length).isLessThan(1 << 20);
                calls += countToolCalls(line, 6, line.length - 6);
                events++;
            }
        }
        assertThat(events).isGreaterThan(16);
        assertThat(calls * 3).isGreaterThan(HUGE - 200L * events);
        assertThat(reply.text()).endsWith("]}\n\n");

        SimTestClient.RawReply json = client.raw(SimTestClient.body("T2", "#fault:huge-sse"), JSON, WAIT);
        assertThat(json.headers().get("Content-Type")).startsWith("application/json");
        assertThat(json.body()).hasSize(HUGE);
    }

    @Test
    void shouldAnswerAHugeText() throws IOException {
        SimTestClient.RawReply reply =
                client.raw(SimTestClient.body("T", "#fault:huge-text"), SimTestClient.SSE_ACCEPT, WAIT);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/json");
        assertThat(reply.headers().get("Content-Length")).isEqualTo(Integer.toString(reply.body().length));
        JsonNode answer = SimTestClient.JSON.readTree(reply.body());
        assertThat(answer.get("text").asText()).hasSize(HUGE).startsWith("The assistant keeps talking");
        assertThat(answer.get("requestId").asText()).startsWith("sim-");
    }

    @Test
    void shouldUseTheConfiguredHugeSize() {
        try (ApiSimulator small = new ApiSimulator(
                                SimulatorConfig.builder().hugeAnswerBytes(5_000).build())
                        .start();
                SimTestClient c = new SimTestClient(small.baseUrl())) {
            assertThat(c.raw(SimTestClient.body("T", "#fault:huge"), JSON, WAIT).body())
                    .hasSize(5_000);
            assertThat(c.raw(SimTestClient.body("T", "#fault:huge-text"), JSON, WAIT)
                            .json()
                            .get("text")
                            .asText())
                    .hasSize(5_000);
        }
    }

    @Test
    void shouldRejectAHugeSizeOutOfRange() {
        assertThatThrownBy(() -> SimulatorConfig.builder().hugeAnswerBytes(10).build())
                .hasMessageContaining("hugeAnswerBytes");
    }

    private SimTestClient.Reply chat(String text, String accept, String requestId) {
        return client.chat(SimTestClient.body("T", text), accept, requestId);
    }

    /** The elements of the {@code toolCalls} array of the JSON object in {@code bytes[from, from + length)}. */
    private static long countToolCalls(byte[] bytes, int from, int length) throws IOException {
        long count = 0;
        try (JsonParser p = SimTestClient.JSON.getFactory().createParser(bytes, from, length)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            assertThat(p.nextFieldName()).isEqualTo("toolCalls");
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_ARRAY);
            for (JsonToken t = p.nextToken(); t == JsonToken.START_OBJECT; t = p.nextToken()) {
                assertThat(p.nextToken()).isEqualTo(JsonToken.END_OBJECT);
                count++;
            }
            assertThat(p.currentToken()).isEqualTo(JsonToken.END_ARRAY);
            assertThat(p.nextToken()).isEqualTo(JsonToken.END_OBJECT);
            assertThat(p.nextToken()).isNull();
        }
        return count;
    }

    private static List<byte[]> lines(byte[] body) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == '\n') {
                byte[] line = new byte[i - start];
                System.arraycopy(body, start, line, 0, line.length);
                lines.add(line);
                start = i + 1;
            }
        }
        return lines;
    }

    private static boolean startsWith(byte[] line, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        if (line.length < p.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (line[i] != p[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
