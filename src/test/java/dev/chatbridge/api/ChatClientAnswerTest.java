package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.DeadLetterReason;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ChatClient over loopback: 200 answers (JSON and event stream), the request it sends, and unparseable or oversized
 * answers.
 */
class ChatClientAnswerTest extends ChatClientTestSupport {

    @Test
    void shouldDetectTheKeyInALogLineSoThatTheLeakCheckCanFail() {
        // Given
        Logger logger = LoggerFactory.getLogger("dev.chatbridge.api.LeakProbe");

        // When
        logger.warn("probe {}", KEY);
        logger.warn("probe exception", new IllegalStateException("wrapped " + KEY));

        // Then
        assertThat(logs.linesContaining(KEY)).hasSize(2);
        logs.clear();
    }

    // --- 200 ---

    @Test
    void shouldAnswerWhenApiSendsOneJsonObject() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(
                200,
                "application/json; charset=utf-8",
                "{\"text\":\"Hello\",\"requestId\":\"api-1\",\"sources\":{\"sourcesIds\":[\"s\"]}}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.Success(
                        new ChatAnswer("Hello", List.of(), List.of(), List.of("s"), List.of(), "api-1")));
    }

    @Test
    void shouldAggregateEveryResourceKindWhenApiStreamsEvents() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5), AnswerFixtures.sseEvents()));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOf(CallOutcome.Success.class);
        ChatAnswer answer = ((CallOutcome.Success) outcome).answer();
        assertThat(answer.text()).isEqualTo(AnswerFixtures.TEXT);
        assertThat(answer.toolCalls()).isEqualTo(AnswerFixtures.TOOL_CALLS);
        assertThat(answer.references()).isEqualTo(AnswerFixtures.REFERENCES);
        assertThat(answer.sourcesIds()).isEqualTo(AnswerFixtures.SOURCES_IDS);
        assertThat(answer.toolEvents()).isEqualTo(AnswerFixtures.TOOL_EVENTS);
        assertThat(answer.apiRequestId()).isEqualTo(AnswerFixtures.API_REQUEST_ID);
    }

    @Test
    void shouldSendTheDocumentedRequestWithAccountHeaderWhenAccountIsSet() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{\"text\":\"ok\"}"));

        // When
        call(client(server), request("alice@example.com"));

        // Then
        LoopbackServer.Received received = server.takeRequest();
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.uri()).isEqualTo("/chats/v2");
        assertThat(received.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(received.headers().get("unleash-account")).isEqualTo("alice@example.com");
        assertThat(received.headers().get("Accept")).isEqualTo("text/event-stream, application/json");
        assertThat(received.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(received.headers().get("X-Request-Id")).isEqualTo("req-1");
        assertThat(received.headers().get("User-Agent")).isEqualTo("chat-bridge/" + dev.chatbridge.Version.get());
        assertThat(json.readTree(received.body())).isEqualTo(json.readTree("""
                {"messages":[{"text":"You are terse.","role":"System"},{"text":"Hi \u00e9\uD83D\uDE00","role":"User"},\
                {"text":null,"role":"Assistant"}],"assistantId":"asst-9","threadId":"thread-3"}"""));
    }

    @Test
    void shouldNotSendTheAccountHeaderWhenAccountIsNull() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{\"text\":\"ok\"}"));

        // When
        call(client(server), request(null));

        // Then
        LoopbackServer.Received received = server.takeRequest();
        assertThat(received.headers().contains("unleash-account")).isFalse();
        assertThat(received.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
    }

    @Test
    void shouldFailPermanentlyWhenTwoHundredHasAnotherContentType() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "text/html", "<html>login</html>"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(
                        new CallOutcome.PermanentFailure(
                                DeadLetterReason.UNPARSEABLE_RESPONSE,
                                200,
                                null,
                                "<html>login</html>",
                                "the API answered 200 with content type 'text/html', neither application/json nor text/event-stream"));
    }

    @Test
    void shouldFailPermanentlyWhenJsonAnswerDoesNotParse() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{\"text\": 42}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.excerpt()).isEqualTo("{\"text\": 42}");
            assertThat(failure.message()).contains("'text' should be a string");
        });
    }

    @Test
    void shouldFailPermanentlyWhenAnSseEventIsMalformedJson() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(
                Duration.ofMillis(5),
                "data: {\"text\":\"a\"}\n\n",
                "data: {\"text\":\"b\",\n\n",
                "data: {\"text\":\"c\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.excerpt()).isEqualTo("{\"text\":\"b\",");
            assertThat(failure.message()).startsWith("event 2 of the event stream is not a /chats/v2 answer");
        });
    }

    @Test
    void shouldFailPermanentlyWhenAnSseEventIsLargerThanTheBound() {
        // Given
        LoopbackServer server =
                server(LoopbackServer.sse(Duration.ofMillis(5), "data: {\"text\":\"" + "x".repeat(300) + "\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.maxEventBytes(256)), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.UNPARSEABLE_RESPONSE,
                        200,
                        null,
                        null,
                        "SSE line longer than 256 bytes (maxEventBytes)"));
    }

    @Test
    void shouldFailPermanentlyWhenJsonAnswerIsLargerThanTheBound() {
        // Given
        LoopbackServer server =
                server(LoopbackServer.respond(200, "application/json", "{\"text\":\"" + "x".repeat(5000) + "\"}"));

        // When
        CallOutcome outcome = call(client(server, b -> b.maxEventBytes(1024).maxAnswerBytes(4096)), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message())
                    .isEqualTo("the JSON answer is larger than maxAnswerBytes 4096"
                            + " (setting chat.api.max.answer.bytes); the rest was not read");
            assertThat(failure.excerpt()).hasSize(2048);
        });
    }
}
