package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class ApiSimulatorRequestChecksTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private ApiSimulator simulator;
    private SimTestClient client;

    @BeforeEach
    void start() {
        simulator = new ApiSimulator(SimulatorConfig.builder()
                        .apiKeys(SimTestClient.KEY, "second-key")
                        .build())
                .start();
        client = new SimTestClient(simulator.baseUrl());
    }

    @AfterEach
    void stop() {
        client.close();
        simulator.close();
    }

    private SimTestClient.Reply post(String body, String authorization, String contentType) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (authorization != null) {
            headers.put("Authorization", authorization);
        }
        headers.put("Content-Type", contentType);
        headers.put("Accept", "application/json");
        return client.send("POST", "/chats/v2", body, headers, WAIT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer wrong-key-123", "Basic dGVzdC1rZXk=", "Bearer ", "wrong-key-123"})
    void shouldRejectAWrongKeyWithoutEchoingIt(String authorization) {
        SimTestClient.Reply reply = post(SimTestClient.body("T", "hi"), authorization, "application/json");

        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
        assertThat(reply.headers().get("WWW-Authenticate")).startsWith("Bearer");
        assertThat(reply.json().get("status").asInt()).isEqualTo(401);
        assertThat(reply.body()).doesNotContain("wrong-key-123").doesNotContain("dGVzdC1rZXk");
    }

    @Test
    void shouldRejectAMissingKey() {
        assertThat(post(SimTestClient.body("T", "hi"), null, "application/json").status())
                .isEqualTo(401);
    }

    @Test
    void shouldAcceptEveryConfiguredKey() {
        assertThat(post(SimTestClient.body("T", "hi"), "Bearer second-key", "application/json")
                        .status())
                .isEqualTo(200);
        assertThat(post(SimTestClient.body("T", "hi"), "bearer test-key", "application/json")
                        .status())
                .isEqualTo(200);
    }

    @Test
    void shouldRejectEveryKeyWhileRejectAllKeysIsOnInJava() {
        simulator.rejectAllKeys(true);
        assertThat(client.chat(SimTestClient.body("T", "hi"), "application/json", "r")
                        .status())
                .isEqualTo(401);

        simulator.rejectAllKeys(false);
        assertThat(client.chat(SimTestClient.body("T", "hi"), "application/json", "r")
                        .status())
                .isEqualTo(200);
    }

    @Test
    void shouldRejectEveryKeyWhileRejectAllKeysIsOnOverHttp() {
        SimTestClient.Reply on = client.send("POST", "/_sim/auth?reject=true", "", Map.of(), WAIT);
        assertThat(on.json().get("rejectAllKeys").asBoolean()).isTrue();
        assertThat(client.chat(SimTestClient.body("T", "hi"), "application/json", "r")
                        .status())
                .isEqualTo(401);

        client.send("POST", "/_sim/auth?reject=false", "", Map.of(), WAIT);
        assertThat(client.chat(SimTestClient.body("T", "hi"), "application/json", "r")
                        .status())
                .isEqualTo(200);
        assertThat(client.send("POST", "/_sim/auth?reject=maybe", "", Map.of(), WAIT)
                        .status())
                .isEqualTo(400);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "not JSON                 | this is not json                                          | $",
                "empty body               | ''                                                        | request",
                "messages missing         | {\"threadId\":\"T\"}                                      | messages",
                "messages empty           | {\"messages\":[]}                                         | messages",
                "messages not an array    | {\"messages\":\"hi\"}                                     | messages",
                "role not allowed         | {\"messages\":[{\"text\":\"hi\",\"role\":\"Robot\"}]}     | messages[0].role",
                "role missing             | {\"messages\":[{\"text\":\"hi\"}]}                        | messages[0].role",
                "second role wrong case   | {\"messages\":[{\"text\":\"a\",\"role\":\"User\"},{\"text\":\"b\",\"role\":\"user\"}]} | messages[1].role",
                "text not a string        | {\"messages\":[{\"text\":5,\"role\":\"User\"}]}           | messages[0].text",
            })
    void shouldAnswerProblemDetailsForAnInvalidBody(String name, String body, String errorKey) {
        SimTestClient.Reply reply = post(body, "Bearer " + SimTestClient.KEY, "application/json");

        assertThat(reply.status()).as(name).isEqualTo(400);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.get("type").asText()).isEqualTo("https://tools.ietf.org/html/rfc9110#section-15.5.1");
        assertThat(problem.get("title").asText()).isEqualTo("One or more validation errors occurred.");
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("detail").isTextual()).isTrue();
        assertThat(problem.get("instance").asText()).isEqualTo("/chats/v2");
        assertThat(problem.get("traceId").asText()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
        assertThat(problem.get("errors").has(errorKey))
                .as("errors %s has %s", problem.get("errors"), errorKey)
                .isTrue();
        assertThat(problem.get("errors").get(errorKey).get(0).isTextual()).isTrue();
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("400", 1L));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/xml", "application/x-www-form-urlencoded"})
    void shouldRefuseBodiesThatAreNotJson(String contentType) {
        SimTestClient.Reply reply = post(SimTestClient.body("T", "hi"), "Bearer " + SimTestClient.KEY, contentType);

        assertThat(reply.status()).isEqualTo(415);
        assertThat(reply.json().get("type").asText()).endsWith("section-15.5.16");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"application/json", "application/json; charset=utf-8", "text/json", "application/vnd.chat+json"})
    void shouldAcceptEveryJsonMediaType(String contentType) {
        assertThat(post(SimTestClient.body("T", "hi"), "Bearer " + SimTestClient.KEY, contentType)
                        .status())
                .isEqualTo(200);
    }

    @Test
    void shouldRefuseOtherMethodsAndPaths() {
        Map<String, String> auth = Map.of("Authorization", "Bearer " + SimTestClient.KEY);
        SimTestClient.Reply get = client.send("GET", "/chats/v2", null, auth, WAIT);
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.headers().get("Allow")).isEqualTo("POST");
        assertThat(client.send("POST", "/chats/v3", "{}", auth, WAIT).status()).isEqualTo(404);
    }

    @Test
    void shouldRefuseABodyBeyondTheLimit() {
        try (ApiSimulator small = new ApiSimulator(
                                SimulatorConfig.builder().maxBodyBytes(100).build())
                        .start();
                SimTestClient c = new SimTestClient(small.baseUrl())) {
            SimTestClient.Reply reply = c.chat(SimTestClient.body("T", "x".repeat(500)), "application/json", "r");
            assertThat(reply.status()).isEqualTo(413);
        }
    }
}
