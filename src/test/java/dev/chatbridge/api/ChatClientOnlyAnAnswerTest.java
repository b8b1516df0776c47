package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.DeadLetterReason;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * ChatClient over loopback: only an answer is a success. A 2xx of {}, of an error member, of problem details or of
 * events that carry no answer member is not; problem details with a transient status in the body are retried; event
 * streams are strict UTF-8.
 */
class ChatClientOnlyAnAnswerTest extends ChatClientTestSupport {

    private CallOutcome answer(String contentType, String body) {
        return call(client(server(LoopbackServer.respond(200, contentType, body))), request(null));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{}",
                "{\"requestId\":\"api-1\"}",
                "{\"text\":null,\"toolCalls\":null,\"requestId\":\"api-1\",\"vendor\":{\"x\":1}}",
            })
    void shouldNotTakeAJsonObjectWithoutAnAnswerMemberForAnAnswer(String body) {
        CallOutcome outcome = answer(LoopbackServer.JSON, body);

        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.UNPARSEABLE_RESPONSE,
                        200,
                        null,
                        body,
                        "the JSON answer has no answer member (text, toolCalls, reference, sources or tool with a"
                                + " value): it is not an answer"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"text\":\"\"}",
                "{\"toolCalls\":[]}",
                "{\"sources\":{}}",
            })
    void shouldTakeAnEmptyButPresentAnswerMemberForAnAnswer(String body) {
        assertThat(answer(LoopbackServer.JSON, body)).isInstanceOf(CallOutcome.Success.class);
    }

    @Test
    void shouldKeepTheErrorMemberAsAProblemWhenA200CarriesAnError() {
        CallOutcome outcome = answer(LoopbackServer.JSON, "{\"text\":\"partial\",\"error\":{\"message\":\"boom\"}}");

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.message())
                    .isEqualTo("the API answered HTTP 200 with an error member instead of an" + " answer");
            assertThat(failure.problem().getExtensionsJson()).contains("\"error\":{\"message\":\"boom\"}");
        });
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "application/problem+json|{\"type\":\"about:blank\",\"title\":\"Busy\",\"status\":503}|503",
                "application/problem+json|{\"title\":\"Slow down\",\"status\":429}|429",
                "application/json|{\"type\":\"https://err/x\",\"title\":\"Oops\",\"status\":500,\"detail\":\"d\"}|500",
                "application/vnd.api+json|{\"title\":\"Timeout\",\"status\":408}|408",
            })
    void shouldRetryWhenA200CarriesProblemDetailsOfATransientStatus(String type, String body, int status) {
        CallOutcome outcome = answer(type, body);

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.cause()).isEqualTo(CallOutcome.RetryCause.STATUS);
            assertThat(failure.httpStatus()).isEqualTo(status);
            assertThat(failure.message())
                    .startsWith("the API answered HTTP 200 with problem details instead of an" + " answer (status "
                            + status + " in the body)")
                    .endsWith("a transient failure");
        });
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "application/problem+json|{\"type\":\"https://err/q\",\"title\":\"Quota\",\"status\":403,\"plan\":\"x\"}",
                "application/problem+json|{\"title\":\"No status\"}",
                "application/problem+json|not json at all",
                "application/json|{\"type\":\"https://err/bad\",\"title\":\"Bad\",\"status\":400}",
            })
    void shouldGiveUpKeepingTheProblemWhenA200CarriesProblemDetailsOfAnotherStatus(String type, String body) {
        CallOutcome outcome = answer(type, body);

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.httpStatus()).isEqualTo(200);
            if (body.startsWith("{")) {
                assertThat(failure.problem()).isNotNull();
                assertThat(failure.problem().getTitle()).isNotNull();
                assertThat(failure.message())
                        .startsWith("the API answered HTTP 200 with problem details instead of" + " an answer")
                        .contains(failure.problem().getTitle());
            } else {
                assertThat(failure.excerpt()).isEqualTo(body);
            }
        });
    }

    @Test
    void shouldKeepEveryProblemMemberWhenA200CarriesProblemDetails() {
        CallOutcome outcome = answer(
                "application/problem+json",
                "{\"type\":\"https://err/quota\",\"title\":\"Quota\",\"status\":403,\"plan\":\"free\"}");

        assertThat(((CallOutcome.PermanentFailure) outcome).problem().getExtensionsJson())
                .isEqualTo("{\"plan\":\"free\"}");
        assertThat(((CallOutcome.PermanentFailure) outcome).problem().getStatus())
                .isEqualTo(403);
    }

    @Test
    void shouldNotTakeAStreamOfEmptyEventsForAnAnswer() {
        LoopbackServer server = server(LoopbackServer.sse(
                Duration.ZERO, "data: {}\n\n", "data: {}\n\n", "data: {\"requestId\":\"api-1\"}\n\n"));

        CallOutcome outcome = call(client(server), request(null));

        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.UNPARSEABLE_RESPONSE,
                        200,
                        null,
                        "{\"requestId\":\"api-1\"}",
                        "the event stream has no answer member (text, toolCalls,"
                                + " reference, sources or tool with a value): it is not an answer"));
    }

    @Test
    void shouldRetryWhenAStreamCarriesProblemDetailsOfATransientStatus() {
        LoopbackServer server = server(LoopbackServer.sse(
                Duration.ZERO, "data: {\"type\":\"about:blank\",\"title\":\"Overloaded\",\"status\":503}\n\n"));

        CallOutcome outcome = call(client(server), request(null));

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isEqualTo(503);
            assertThat(failure.message()).contains("Overloaded");
        });
    }

    @Test
    void shouldRetryWhenAStreamCarriesProblemDetailsAfterText() {
        LoopbackServer server = server(LoopbackServer.sse(
                Duration.ZERO, "data: {\"text\":\"Hel\"}\n\n", "data: {\"title\":\"Overloaded\",\"status\":429}\n\n"));

        CallOutcome outcome = call(client(server), request(null));

        assertThat(outcome)
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        failure -> assertThat(failure.httpStatus()).isEqualTo(429));
    }

    @Test
    void shouldGiveUpWhenAStreamCarriesAnErrorAfterText() {
        LoopbackServer server = server(LoopbackServer.sse(
                Duration.ZERO, "data: {\"text\":\"Hel\"}\n\n", "data: {\"error\":\"model crashed\"}\n\n"));

        CallOutcome outcome = call(client(server), request(null));

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.message())
                    .isEqualTo("the API answered HTTP 200 with an error member instead of an" + " answer");
        });
    }

    @Test
    void shouldRejectMalformedUtf8InAnEventStreamLikeInJson() {
        byte[] malformed = {
            'd',
            'a',
            't',
            'a',
            ':',
            ' ',
            '{',
            '"',
            't',
            'e',
            'x',
            't',
            '"',
            ':',
            '"',
            (byte) 0xC3,
            '(',
            '"',
            '}',
            '\n',
            '\n'
        };
        LoopbackServer server = server((request, response) -> response.status(200)
                .header("Content-Type", LoopbackServer.SSE)
                .send(Mono.just(Unpooled.wrappedBuffer(malformed))));

        CallOutcome outcome = call(client(server), request(null));

        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.UNPARSEABLE_RESPONSE, 200, null, null, "SSE line is not valid UTF-8"));
    }

    @Test
    void shouldStillAnswerWithEveryMemberWhenTheJsonAnswerComesInThreeByteChunks() {
        String body = "{\"text\":\"Hé😀\",\"toolCalls\":[{\"id\":\"c\",\"arguments\":\"{}\"}],"
                + "\"tool\":{\"toolStep\":{\"toolId\":\"w\"}},\"text\":\"!\",\"requestId\":\"r\"}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        LoopbackServer server = server((request, response) -> response.status(200)
                .header("Content-Type", LoopbackServer.JSON)
                .send(
                        Flux.range(0, (bytes.length + 2) / 3)
                                .map(i -> Unpooled.wrappedBuffer(bytes, 3 * i, Math.min(3, bytes.length - 3 * i))),
                        chunk -> true));

        CallOutcome outcome = call(client(server), request(null));

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.Success.class, success -> {
            assertThat(success.answer().text()).isEqualTo("Hé😀!");
            assertThat(success.answer().toolCalls()).hasSize(1);
            assertThat(success.answer().toolEvents()).hasSize(1);
            assertThat(success.answer().toolEvents().get(0).getTextOffset())
                    .as("placed after all text of its object")
                    .isEqualTo("Hé😀!".length());
            assertThat(success.answer().apiRequestId()).isEqualTo("r");
            assertThat(success.answer().references()).isEqualTo(List.of());
        });
    }
}
