package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ChatClient over loopback: every non-200 status of the failure taxonomy, Retry-After included. */
class ChatClientStatusTest extends ChatClientTestSupport {

    // --- 400 ---

    @Test
    void shouldKeepEveryProblemMemberWhenApiAnswersBadRequest() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(400, "application/problem+json", """
                {"type":"https://api.example/problems/validation","title":"One or more validation errors occurred.",\
                "status":400,"detail":"messages is empty","instance":"/chats/v2","errors":{"messages":["The messages \
                field is required.","Min 1 item."],"threadId":["Too long."]},"traceId":"00-abc-01",\
                "extra":{"a":[1,2]}}"""));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.BAD_REQUEST);
            assertThat(failure.httpStatus()).isEqualTo(400);
            assertThat(failure.excerpt()).isNull();
            assertThat(failure.message())
                    .isEqualTo(
                            "the API rejected the request as bad (HTTP 400): One or more validation errors occurred. - messages is empty");
            ProblemDetails problem = failure.problem();
            assertThat(problem.getType()).isEqualTo("https://api.example/problems/validation");
            assertThat(problem.getTitle()).isEqualTo("One or more validation errors occurred.");
            assertThat(problem.getStatus()).isEqualTo(400);
            assertThat(problem.getDetail()).isEqualTo("messages is empty");
            assertThat(problem.getInstance()).isEqualTo("/chats/v2");
            assertThat(problem.getErrors())
                    .isEqualTo(Map.of(
                            "messages", List.of("The messages field is required.", "Min 1 item."),
                            "threadId", List.of("Too long.")));
        });
        String extensions = ((CallOutcome.PermanentFailure) outcome).problem().getExtensionsJson();
        assertThat(json.readTree(extensions))
                .isEqualTo(json.readTree("{\"traceId\":\"00-abc-01\",\"extra\":{\"a\":[1,2]}}"));
    }

    @Test
    void shouldKeepAnExcerptWhenBadRequestIsNotJson() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(400, "text/plain", "Bad Request: messages missing"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.BAD_REQUEST,
                        400,
                        null,
                        "Bad Request: messages missing",
                        "the API rejected the request as bad (HTTP 400) without problem details"));
    }

    @Test
    void shouldReadAProblemOfOneMebibyteWhateverTheAnswerLimitAndOnlyAnExcerptBeyondIt() {
        // Given: problem details are not answers, so a small answer limit does not cut them
        String errors = "\"e\":\"" + "x".repeat(900_000) + "\"";
        LoopbackServer whole = server(LoopbackServer.respond(
                400,
                "application/problem+json",
                "{\"title\":\"Invalid\",\"status\":400,\"detail\":\"big\"," + errors + "}"));
        LoopbackServer over = server(LoopbackServer.respond(
                400,
                "application/problem+json",
                "{\"title\":\"Invalid\",\"status\":400," + "\"e\":\"" + "x".repeat(1_100_000) + "\"}"));

        // When
        CallOutcome read = call(client(whole, b -> b.maxAnswerBytes(64 * 1024)), request(null));
        CallOutcome cut = call(client(over, b -> b.maxAnswerBytes(64 * 1024)), request(null));

        // Then
        assertThat(read)
                .isInstanceOfSatisfying(
                        CallOutcome.PermanentFailure.class,
                        f -> assertThat(f.problem().getDetail()).isEqualTo("big"));
        assertThat(cut).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, f -> {
            assertThat(f.problem()).isNull();
            assertThat(f.excerpt()).startsWith("{\"title\":\"Invalid\"");
            assertThat(f.message()).contains("with a body over 1048576 bytes: only an excerpt is kept");
        });
    }

    @Test
    void shouldKeepMembersOfAnUnexpectedShapeAsExtensionsWhenBadRequestHasThem() throws Exception {
        // Given: errors is not a map of string arrays, status is not an integer
        LoopbackServer server = server(LoopbackServer.respond(
                400, "application/json", "{\"title\":\"Invalid\",\"status\":\"400\",\"errors\":[\"flat\"]}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        ProblemDetails problem = ((CallOutcome.PermanentFailure) outcome).problem();
        assertThat(problem.getTitle()).isEqualTo("Invalid");
        assertThat(problem.getStatus()).isNull();
        assertThat(problem.getErrors()).isNull();
        assertThat(json.readTree(problem.getExtensionsJson()))
                .isEqualTo(json.readTree("{\"status\":\"400\",\"errors\":[\"flat\"]}"));
        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.BAD_REQUEST,
                        400,
                        problem,
                        null,
                        "the API rejected the request as bad (HTTP 400): Invalid"));
    }

    // 3xx, 401, 403 and 404: see ChatClientRefusalTest

    // --- other statuses ---

    @ParameterizedTest
    @ValueSource(ints = {405, 409, 413, 415, 422, 418})
    void shouldRejectPermanentlyWhenApiAnswersAnotherClientError(int status) {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(status, "text/plain", "status " + status));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.REJECTED);
            assertThat(failure.httpStatus()).isEqualTo(status);
            assertThat(failure.problem()).isNull();
            assertThat(failure.excerpt()).isEqualTo("status " + status);
            assertThat(failure.message()).startsWith("the API rejected the request with HTTP " + status);
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 425, 429, 500, 502, 503, 504, 599})
    void shouldRetryWhenApiAnswersATransientStatus(int status) {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(status, "text/plain", "try later"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isEqualTo(status);
            assertThat(failure.retryAfter()).isNull();
            assertThat(failure.excerpt()).isEqualTo("try later");
            assertThat(failure.message()).startsWith("the API answered HTTP " + status);
        });
    }

    @Test
    void shouldReadRetryAfterInSeconds() {
        // Given
        LoopbackServer server =
                server(LoopbackServer.respond(429, "text/plain", "slow down", Map.of("Retry-After", "7")));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        failure -> assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(7)));
    }

    @Test
    void shouldReadRetryAfterAsAnHttpDateRelativeToTheClock() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(
                503, "text/plain", "maintenance", Map.of("Retry-After", "Sun, 01 Mar 2026 12:02:00 GMT")));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        failure -> assertThat(failure.retryAfter()).isEqualTo(Duration.ofMinutes(2)));
    }

    @Test
    void shouldIgnoreAnInvalidRetryAfter() {
        // Given
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

        // When / Then
        assertThat(ResponseReader.parseRetryAfter("soon", clock)).isNull();
        assertThat(ResponseReader.parseRetryAfter("-5", clock)).isNull();
        assertThat(ResponseReader.parseRetryAfter(" 12 ", clock)).isEqualTo(Duration.ofSeconds(12));
        assertThat(ResponseReader.parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", clock))
                .isEqualTo(Duration.ZERO);
        assertThat(ResponseReader.parseRetryAfter(null, clock)).isNull();
    }
}
