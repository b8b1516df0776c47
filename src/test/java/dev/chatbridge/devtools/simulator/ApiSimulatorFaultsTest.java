package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class ApiSimulatorFaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private ApiSimulator simulator;
    private SimTestClient client;

    @BeforeEach
    void start() {
        simulator = new ApiSimulator(SimulatorConfig.builder()
                        .chunks(4)
                        .chunkInterval(Duration.ofMillis(10))
                        .maxStall(Duration.ofMillis(1500))
                        .slowDelay(Duration.ofMillis(600))
                        .stallPause(Duration.ofMillis(1000))
                        .build())
                .start();
        client = new SimTestClient(simulator.baseUrl());
    }

    @AfterEach
    void stop() {
        client.close();
        simulator.close();
    }

    private SimTestClient.Reply chat(String text, String requestId) {
        return client.chat(SimTestClient.body("T", text), "application/json", requestId);
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403, 404, 405, 408, 409, 413, 415, 422, 425, 429, 500, 503})
    void shouldAnswerTheStatusWithProblemDetailsOnceThenSucceed(int status) {
        // When a request asks for a fault once, then is retried with the same X-Request-Id
        SimTestClient.Reply first = chat("hi #fault:" + status, "req-" + status);
        SimTestClient.Reply retry = chat("hi #fault:" + status, "req-" + status);

        // Then the first attempt gets the status as problem details, the retry an answer
        assertThat(first.status()).isEqualTo(status);
        assertThat(first.headers().get("Content-Type")).startsWith("application/problem+json");
        assertThat(first.json().get("status").asInt()).isEqualTo(status);
        assertThat(first.json().get("traceId").isTextual()).isTrue();
        assertThat(retry.status()).as("the retry after one %d", status).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(ints = {502, 504})
    void shouldAnswerGatewayErrorsWithAnHtmlPage(int status) {
        SimTestClient.Reply first = chat("hi #fault:" + status, "gw-" + status);

        assertThat(first.status()).isEqualTo(status);
        assertThat(first.headers().get("Content-Type")).startsWith("text/html");
        assertThat(first.body()).contains("<h1>" + status);
        assertThat(chat("hi #fault:" + status, "gw-" + status).status()).isEqualTo(200);
    }

    @Test
    void shouldFailTheFirstNAttemptsThenSucceed() {
        for (int attempt = 1; attempt <= 3; attempt++) {
            assertThat(chat("go #fault:503x3", "xn").status())
                    .as("attempt %d", attempt)
                    .isEqualTo(503);
        }
        assertThat(chat("go #fault:503x3", "xn").status()).as("attempt 4").isEqualTo(200);
        assertThat(chat("go #fault:503x3", "other-request").status())
                .as("another request")
                .isEqualTo(503);
    }

    @Test
    void shouldRecogniseAttemptsByThreadAndTextWithoutARequestId() {
        assertThat(chat("go #fault:500x2", null).status()).isEqualTo(500);
        assertThat(chat("go #fault:500x2", null).status()).isEqualTo(500);
        assertThat(chat("go #fault:500x2", null).status()).isEqualTo(200);
    }

    @Test
    void shouldAlwaysAnswerBadRequestWhateverN() {
        for (int attempt = 1; attempt <= 3; attempt++) {
            SimTestClient.Reply reply = chat("bad #fault:400x1", "bad");
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.json().get("errors").has("messages[0].text")).isTrue();
        }
    }

    @Test
    void shouldAnswerOneMebibyteOfProblemDetailsOnEveryAttemptWhenAskedForAHugeBadRequest() {
        for (int attempt = 1; attempt <= 2; attempt++) {
            // When a request asks for a huge 400 (and is retried with the same X-Request-Id)
            SimTestClient.Reply reply = chat("bad #fault:400-huge", "huge");

            // Then every attempt gets 1 MiB of well-formed validation problem details
            assertThat(reply.status()).as("attempt %d", attempt).isEqualTo(400);
            assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
            assertThat(reply.headers().getInt("Content-Length")).isEqualTo(1 << 20);
            assertThat(reply.body().getBytes(StandardCharsets.UTF_8)).hasSize(1 << 20);
            JsonNode problem = reply.json();
            assertThat(problem.get("status").asInt()).isEqualTo(400);
            assertThat(problem.get("title").asText()).isEqualTo("One or more validation errors occurred.");
            assertThat(problem.get("errors").has("messages[0].text")).isTrue();
            assertThat(problem.get("errors").size())
                    .as("properties with errors")
                    .isGreaterThan(3_000);
            assertThat(problem.get("errors").toString().length())
                    .as("size of errors")
                    .isGreaterThan(600 * 1024);
            assertThat(problem.get("diagnostics").get("dump").asText().length())
                    .as("extension member")
                    .isGreaterThan(300 * 1024);
            assertThat(problem.get("traceId").isTextual()).isTrue();
        }
    }

    @Test
    void shouldSendRetryAfterInSeconds() {
        SimTestClient.Reply reply = chat("#fault:429", "ra");

        assertThat(reply.status()).isEqualTo(429);
        assertThat(reply.headers().get("Retry-After")).isEqualTo("1");
    }

    @Test
    void shouldSendRetryAfterAsAnHttpDateAboutOneSecondAhead() {
        SimTestClient.Reply reply = chat("#fault:429date", "rad");

        assertThat(reply.status()).isEqualTo(429);
        ZonedDateTime when =
                ZonedDateTime.parse(reply.headers().get("Retry-After"), DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(when)
                .isBetween(
                        ZonedDateTime.now().minusSeconds(1), ZonedDateTime.now().plusSeconds(3));
    }

    @Test
    void shouldResetTheConnectionWithoutAResponse() {
        SimTestClient.Reply reply = chat("#fault:reset", "rst");

        assertThat(reply.status()).isEqualTo(-1);
        assertThat(reply.error()).isNotNull().isNotInstanceOf(TimeoutException.class);
        assertThat(chat("#fault:reset", "rst").status()).isEqualTo(200);
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("reset", 1L));
    }

    @Test
    void shouldCutTheConnectionInTheMiddleOfTheStream() {
        SimTestClient.Streamed streamed = client.stream(SimTestClient.body("T", "#fault:midstream"), WAIT);

        assertThat(streamed.status()).isEqualTo(200);
        assertThat(String.join("", streamed.chunks())).contains("data: {");
        assertThat(streamed.error()).as("how the stream ended").isNotNull();
        assertThat(streamed.error().toString()).containsIgnoringCase("close");
    }

    @Test
    void shouldHangUntilTheClientGivesUp() {
        long start = System.nanoTime();
        SimTestClient.Reply reply = client.send(
                "POST", "/chats/v2", SimTestClient.body("T", "#fault:hang"), headers(), Duration.ofMillis(400));

        assertThat(reply.error()).as("the client's timeout").isNotNull();
        assertThat(elapsed(start)).isBetween(Duration.ofMillis(350), Duration.ofMillis(1400));
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().currentConcurrent()).isZero());
    }

    @Test
    void shouldEndAHangAtTheMaximumStall() {
        long start = System.nanoTime();
        SimTestClient.Reply reply = client.send(
                "POST", "/chats/v2", SimTestClient.body("T", "#fault:hang"), headers(), Duration.ofSeconds(8));

        assertThat(reply.error()).as("the connection closed by the simulator").isNotNull();
        assertThat(elapsed(start)).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(6));
    }

    @Test
    void shouldDelayTheFirstByteWhenSlow() {
        long start = System.nanoTime();
        SimTestClient.Reply reply = chat("#fault:slow", "slow");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(elapsed(start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));

        long again = System.nanoTime();
        assertThat(chat("#fault:slow900", "slow-ms").status()).isEqualTo(200);
        assertThat(elapsed(again)).isGreaterThanOrEqualTo(Duration.ofMillis(900));

        SimTestClient.Reply timedOut = client.send(
                "POST", "/chats/v2", SimTestClient.body("T", "#fault:slow1000"), headers(), Duration.ofMillis(300));
        assertThat(timedOut.error())
                .as("a client timeout shorter than the delay")
                .isNotNull();
    }

    @Test
    void shouldPauseAfterTheFirstEventWhenStalled() {
        // Given a client whose idle timeout is shorter than the stall
        SimTestClient.Streamed cut = client.stream(SimTestClient.body("T", "#fault:stallx2"), Duration.ofMillis(400));
        assertThat(cut.chunks()).as("the first event came").isNotEmpty();
        assertThat(cut.error()).as("the idle timeout").isNotNull();

        // When a patient client tries again, it gets the whole answer after the pause
        long start = System.nanoTime();
        SimTestClient.Streamed whole = client.stream(SimTestClient.body("T", "#fault:stallx2"), WAIT);
        assertThat(whole.error()).isNull();
        assertThat(String.join("", whole.chunks())).contains("réponse prête 🙂");
        assertThat(elapsed(start)).isGreaterThanOrEqualTo(Duration.ofMillis(1000));
    }

    @Test
    void shouldSendADataLineThatIsNotJsonWhenMalformed() {
        SimTestClient.Reply sse =
                client.chat(SimTestClient.body("T", "#fault:malformedx2"), SimTestClient.SSE_ACCEPT, "m");
        assertThat(sse.status()).isEqualTo(200);
        assertThat(sse.body()).contains("data: {\"text\": \"unterminated\n");
        assertThatThrownBy(sse::events).hasMessageContaining("not JSON");

        SimTestClient.Reply json = client.chat(SimTestClient.body("T", "#fault:malformedx2"), "application/json", "m");
        assertThat(json.status()).isEqualTo(200);
        assertThatThrownBy(json::json).hasMessageContaining("not JSON");
    }

    private static Map<String, String> headers() {
        return Map.of(
                "Authorization",
                "Bearer " + SimTestClient.KEY,
                "Content-Type",
                "application/json",
                "Accept",
                "application/json");
    }

    private static Duration elapsed(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
