package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.DeadLetterReason;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ChatClient over loopback: 3xx, 401, 403 and 404 are refusals whose likely cause is named from what the call sent and
 * what the problem details say, and the synthetic key check that decides whose fault they are.
 */
class ChatClientRefusalTest extends ChatClientTestSupport {

    private static final String PROBLEM = "application/problem+json";

    private CallOutcome.Refused refusal(LoopbackServer server, String account) {
        CallOutcome outcome = call(client(server), request(account));
        assertThat(outcome).isInstanceOf(CallOutcome.Refused.class);
        return (CallOutcome.Refused) outcome;
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void shouldBlameTheAccountWhenACallWithAnAccountIsRefused(int status) {
        LoopbackServer server = server(LoopbackServer.respond(
                status, PROBLEM, "{\"title\":\"Forbidden\",\"status\":" + status + ",\"detail\":\"Not allowed.\"}"));

        CallOutcome.Refused refused = refusal(server, "bob@example.com");

        assertThat(refused.httpStatus()).isEqualTo(status);
        assertThat(refused.suspect()).isEqualTo(CallOutcome.Suspect.ACCOUNT);
        assertThat(refused.message()).contains("'bob@example.com'", "HTTP " + status, "impersonate", "Not allowed.");
        assertThat(refused.problem().getDetail()).isEqualTo("Not allowed.");
        assertThat(refused.asDeadLetter().reason()).isEqualTo(DeadLetterReason.IMPERSONATION_DENIED);
        assertThat(refused.asDeadLetter().problem()).isEqualTo(refused.problem());
    }

    @Test
    void shouldBlameTheKeyWhenACallWithoutAccountIsRefusedWithoutHints() {
        LoopbackServer server = server(LoopbackServer.respond(401, "text/plain", "nope"));

        CallOutcome.Refused refused = refusal(server, null);

        assertThat(refused.suspect()).isEqualTo(CallOutcome.Suspect.KEY);
        assertThat(refused.message()).contains("HTTP 401", "no account was sent", "key");
        assertThat(refused.excerpt())
                .as("a body that is not problem details is kept as an excerpt")
                .contains("nope");
    }

    @Test
    void shouldBlameTheAssistantWhenTheProblemNamesIt() {
        LoopbackServer server = server(LoopbackServer.respond(
                404,
                PROBLEM,
                "{\"title\":\"Not Found\",\"status\":404,"
                        + "\"detail\":\"Assistant 'asst-9' was not found.\",\"assistantId\":\"asst-9\"}"));

        CallOutcome.Refused refused = refusal(server, "bob@example.com");

        assertThat(refused.suspect())
                .as("the named assistant wins over the account that was sent")
                .isEqualTo(CallOutcome.Suspect.ASSISTANT);
        assertThat(refused.message()).contains("assistant 'asst-9'", "HTTP 404");
        assertThat(refused.asDeadLetter().reason()).isEqualTo(DeadLetterReason.REJECTED);
    }

    @Test
    void shouldBlameTheThreadWhenTheProblemNamesIt() {
        LoopbackServer server = server(LoopbackServer.respond(
                404,
                PROBLEM,
                "{\"title\":\"Not Found\",\"status\":404,\"detail\":\"Thread 'thread-3' was not found.\"}"));

        CallOutcome.Refused refused = refusal(server, null);

        assertThat(refused.suspect()).isEqualTo(CallOutcome.Suspect.THREAD);
        assertThat(refused.asDeadLetter().reason()).isEqualTo(DeadLetterReason.REJECTED);
    }

    @Test
    void shouldSuspectTheEndpointWhenA404NamesNothingOfTheRequest() {
        LoopbackServer server = server(LoopbackServer.respond(404, "text/plain", "no such route"));

        CallOutcome.Refused refused = refusal(server, null);

        assertThat(refused.suspect()).isEqualTo(CallOutcome.Suspect.ENDPOINT);
        assertThat(refused.message()).contains("chat.api.url");
        assertThat(refused.excerpt()).isEqualTo("no such route");
    }

    @Test
    void shouldNotFollowARedirectAndSuspectTheBaseUrl() {
        LoopbackServer server =
                server(LoopbackServer.respond(301, null, "", Map.of("Location", "https://api.example.com/chats/v2")));

        CallOutcome.Refused refused = refusal(server, null);

        assertThat(refused.httpStatus()).isEqualTo(301);
        assertThat(refused.suspect()).isEqualTo(CallOutcome.Suspect.REDIRECT);
        assertThat(refused.message()).contains("to https://api.example.com/chats/v2", "chat.api.url");
    }

    // --- the key check ---

    @Test
    void shouldCheckTheKeyWithoutAccountOrUserContentAndFindItAcceptedWhenTheApiRefusesTheEmptyBody() throws Exception {
        LoopbackServer server = server(LoopbackServer.respond(
                400, PROBLEM, "{\"title\":\"One or more validation errors occurred.\",\"status\":400}"));

        KeyCheck check = client(server).checkKey().block(Duration.ofSeconds(10));

        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.ACCEPTED);
        assertThat(check.httpStatus()).isEqualTo(400);
        LoopbackServer.Received sent = server.takeRequest();
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.uri()).isEqualTo("/chats/v2");
        assertThat(sent.body()).isEqualTo("{\"messages\":[]}");
        assertThat(sent.headers().get("unleash-account")).isNull();
        assertThat(sent.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(sent.headers().get("X-Request-Id")).startsWith("chat-bridge-key-check-");
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403, 404, 405, 302})
    void shouldFindTheKeyOrEndpointRefusedWhenTheKeyCheckIsRefused(int status) {
        LoopbackServer server = server(LoopbackServer.respond(
                status,
                PROBLEM,
                "{}",
                status == 302 ? Map.of("Location", "https://elsewhere.example.com/") : Map.of()));

        KeyCheck check = client(server).checkKey().block(Duration.ofSeconds(10));

        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.REFUSED);
        assertThat(check.httpStatus()).isEqualTo(status);
        assertThat(check.message()).contains(status == 401 || status == 403 ? "chat.api.key" : "chat.api.url");
        assertThat(check.message()).doesNotContain(KEY);
    }

    @ParameterizedTest
    @ValueSource(ints = {429, 500, 503})
    void shouldNotDecideAnythingWhenTheKeyCheckMeetsATransientFailure(int status) {
        LoopbackServer server = server(LoopbackServer.respond(status, PROBLEM, "{}"));

        KeyCheck check = client(server).checkKey().block(Duration.ofSeconds(10));

        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.UNKNOWN);
    }

    @Test
    void shouldNotDecideAnythingWhenTheKeyCheckCannotConnect() {
        LoopbackServer server = server(LoopbackServer.respond(400, PROBLEM, "{}"));
        ChatClient client = client(server);
        server.close();

        KeyCheck check = client.checkKey().block(Duration.ofSeconds(20));

        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.UNKNOWN);
        assertThat(check.message()).contains("no answer");
    }
}
