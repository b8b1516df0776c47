package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.util.List;
import java.util.Map;

/**
 * Assertions on the {@link CallOutcome}s that answers of the simulator ({@code ApiSimulator}) must give, one per kind
 * of failure; each names the field that differs.
 */
final class SimulatorOutcomes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SimulatorOutcomes() {}

    /** A BAD_REQUEST with the simulator's validation problem: every member, errors as given, traceId as extension. */
    static void assertValidationProblem(CallOutcome outcome, Map<String, List<String>> errors)
            throws JsonProcessingException {
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, f -> {
            assertThat(f.reason()).as("reason").isEqualTo(DeadLetterReason.BAD_REQUEST);
            assertThat(f.httpStatus()).as("httpStatus").isEqualTo(400);
            assertThat(f.excerpt()).as("excerpt").isNull();
            assertThat(f.message())
                    .as("message")
                    .isEqualTo("the API rejected the request as bad (HTTP 400): "
                            + "One or more validation errors occurred. - See the errors property for details.");
            ProblemDetails p = f.problem();
            assertThat(p.getType()).as("problem.type").isEqualTo("https://tools.ietf.org/html/rfc9110#section-15.5.1");
            assertThat(p.getTitle()).as("problem.title").isEqualTo("One or more validation errors occurred.");
            assertThat(p.getStatus()).as("problem.status").isEqualTo(400);
            assertThat(p.getDetail()).as("problem.detail").isEqualTo("See the errors property for details.");
            assertThat(p.getInstance()).as("problem.instance").isEqualTo("/chats/v2");
            assertThat(p.getErrors()).as("problem.errors").isEqualTo(errors);
        });
        JsonNode extensions =
                JSON.readTree(((CallOutcome.PermanentFailure) outcome).problem().getExtensionsJson());
        assertThat(extensions.size()).as("extension members: %s", extensions).isEqualTo(1);
        assertThat(extensions.path("traceId").asText())
                .as("traceId kept as an extension")
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
    }

    /** An excerpt that is the simulator's problem details for {@code status}. */
    static void assertProblemExcerpt(String excerpt, int status) throws JsonProcessingException {
        assertThat(excerpt).as("excerpt").isNotNull();
        JsonNode problem = JSON.readTree(excerpt);
        assertThat(problem.path("status").asInt())
                .as("status in the problem excerpt")
                .isEqualTo(status);
        assertThat(problem.path("traceId").isTextual())
                .as("traceId in the problem excerpt")
                .isTrue();
    }

    /** A refusal with this status and likely cause. */
    static void assertRefused(CallOutcome outcome, int status, CallOutcome.Suspect suspect) {
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.Refused.class, f -> {
            assertThat(f.httpStatus()).as("httpStatus").isEqualTo(status);
            assertThat(f.suspect()).as("suspect").isEqualTo(suspect);
            assertThat(f.message()).as("message").contains("" + status);
        });
    }

    /** An UNPARSEABLE_RESPONSE of a 200 with this excerpt of the body. */
    static void assertUnparseable(CallOutcome outcome, String excerpt, String messageStart) {
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, f -> {
            assertThat(f.reason()).as("reason").isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(f.httpStatus()).as("httpStatus").isEqualTo(200);
            assertThat(f.problem()).as("problem").isNull();
            assertThat(f.excerpt()).as("excerpt of the body").isEqualTo(excerpt);
            assertThat(f.message()).as("message").startsWith(messageStart);
        });
    }

    /** A retriable failure without an HTTP answer (connect error, reset, timeout). */
    static void assertTransportFailure(CallOutcome outcome) {
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, f -> {
            assertThat(f.httpStatus()).as("httpStatus").isNull();
            assertThat(f.retryAfter()).as("retryAfter").isNull();
            assertThat(f.excerpt()).as("excerpt").isNull();
            assertThat(f.message()).as("message").isNotBlank();
        });
    }
}
