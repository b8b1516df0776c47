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
import org.junit.jupiter.params.provider.ValueSource;

/** Refused accounts, missing assistants and threads, and the key probe. */
@Timeout(30)
class ApiSimulatorRefusalsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String JSON = "application/json";

    private ApiSimulator simulator;
    private SimTestClient client;

    @BeforeEach
    void start() {
        simulator = new ApiSimulator(SimulatorConfig.builder()
                        .refusedAccounts("Mallory@Example.com", "@Blocked.example")
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
    void shouldRefuseImpersonationNamingTheAccountOnEveryAttempt() {
        for (int attempt = 1; attempt <= 3; attempt++) {
            // When a call on behalf of alice asks for a 403-account (once, and is retried)
            SimTestClient.Reply reply =
                    client.chatAs(SimTestClient.body("T", "hi #fault:403-account"), JSON, "acc", "alice@example.com");

            // Then every attempt gets 403 problem details naming alice
            assertThat(reply.status()).as("attempt %d", attempt).isEqualTo(403);
            assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
            JsonNode problem = reply.json();
            assertThat(problem.get("type").asText()).isEqualTo("https://api.example.com/problems/impersonation-denied");
            assertThat(problem.get("title").asText()).isEqualTo("Forbidden");
            assertThat(problem.get("status").asInt()).isEqualTo(403);
            assertThat(problem.get("detail").asText())
                    .isEqualTo("The API key may not act on behalf of 'alice@example.com'.");
            assertThat(problem.get("account").asText()).isEqualTo("alice@example.com");
        }
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("403", 3L));
    }

    @Test
    void shouldSayTheAccountIsMissingWhenThereIsNoAccountHeader() {
        SimTestClient.Reply forbidden = client.chat(SimTestClient.body("T", "#fault:403-account"), JSON, "no-acc");
        SimTestClient.Reply unauthorized = client.chat(SimTestClient.body("T", "#fault:401-account"), JSON, "no-acc2");

        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.json().get("detail").asText()).contains("unleash-account header is missing");
        assertThat(forbidden.json().has("account")).isFalse();
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.json().get("detail").asText()).contains("unleash-account header is missing");
        assertThat(unauthorized.json().has("account")).isFalse();
    }

    @Test
    void shouldAnswerAnUnknownAccountWith401AChallengeAndTheAccountOnEveryAttempt() {
        for (int attempt = 1; attempt <= 2; attempt++) {
            SimTestClient.Reply reply =
                    client.chatAs(SimTestClient.body("T", "#fault:401-account"), JSON, "u", "ghost@example.com");

            assertThat(reply.status()).as("attempt %d", attempt).isEqualTo(401);
            assertThat(reply.headers().get("WWW-Authenticate"))
                    .startsWith("Bearer ")
                    .contains("invalid_token");
            assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
            JsonNode problem = reply.json();
            assertThat(problem.get("type").asText()).isEqualTo("https://api.example.com/problems/unknown-account");
            assertThat(problem.get("title").asText()).isEqualTo("Unauthorized");
            assertThat(problem.get("detail").asText())
                    .isEqualTo("The account 'ghost@example.com' is unknown or disabled.");
            assertThat(problem.get("account").asText()).isEqualTo("ghost@example.com");
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "mallory@example.com",
                "MALLORY@EXAMPLE.COM",
                " Mallory@Example.com ",
                "bob@blocked.example",
                "Eve@BLOCKED.EXAMPLE"
            })
    void shouldRefuseConfiguredAccountsAndDomainsIgnoringCaseOnEveryAttemptWithoutAMarker(String account) {
        for (int attempt = 1; attempt <= 2; attempt++) {
            SimTestClient.Reply reply = client.chatAs(SimTestClient.body("T", "hello"), JSON, "r", account);

            assertThat(reply.status()).as("%s, attempt %d", account, attempt).isEqualTo(403);
            assertThat(reply.json().get("type").asText()).endsWith("/impersonation-denied");
            assertThat(reply.json().get("account").asText()).isEqualTo(account.trim());
            assertThat(reply.json().get("detail").asText()).contains("'" + account.trim() + "'");
        }
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("403", 2L));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "alice@example.com",
                "mallory@example.org",
                "bob@eu.blocked.example",
                "blocked.example",
                "mallory@example.com.evil"
            })
    void shouldServeAccountsThatAreNotRefused(String account) {
        assertThat(client.chatAs(SimTestClient.body("T", "hello"), JSON, "ok", account)
                        .status())
                .isEqualTo(200);
        assertThat(client.chat(SimTestClient.body("T", "hello"), JSON, "ok-none")
                        .status())
                .isEqualTo(200);
    }

    @Test
    void shouldCheckTheKeyBeforeTheRefusedAccount() {
        Map<String, String> headers =
                Map.of("Authorization", "Bearer wrong", "Content-Type", JSON, "unleash-account", "mallory@example.com");
        assertThat(client.send("POST", "/chats/v2", SimTestClient.body("T", "hi"), headers, WAIT)
                        .status())
                .isEqualTo(401);
    }

    @Test
    void shouldAnswerAMissingAssistantNamingItOnEveryAttempt() {
        for (int attempt = 1; attempt <= 2; attempt++) {
            SimTestClient.Reply reply = chat("#fault:404-assistant", "na");

            assertThat(reply.status()).as("attempt %d", attempt).isEqualTo(404);
            assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
            JsonNode problem = reply.json();
            assertThat(problem.get("type").asText()).isEqualTo("https://api.example.com/problems/assistant-not-found");
            assertThat(problem.get("title").asText()).isEqualTo("Not Found");
            assertThat(problem.get("status").asInt()).isEqualTo(404);
            assertThat(problem.get("detail").asText()).isEqualTo("Assistant 'assistant-1' was not found.");
            assertThat(problem.get("assistantId").asText()).isEqualTo("assistant-1");
        }
    }

    @Test
    void shouldAnswerAMissingThreadNamingItOnEveryAttempt() {
        for (int attempt = 1; attempt <= 2; attempt++) {
            SimTestClient.Reply reply = chat("#fault:404-thread", "nt");

            assertThat(reply.status()).as("attempt %d", attempt).isEqualTo(404);
            JsonNode problem = reply.json();
            assertThat(problem.get("type").asText()).isEqualTo("https://api.example.com/problems/thread-not-found");
            assertThat(problem.get("detail").asText()).isEqualTo("Thread 'T' was not found.");
            assertThat(problem.get("threadId").asText()).isEqualTo("T");
        }
    }

    @Test
    void shouldSayNoThreadWasNamedWhenTheBodyHasNone() {
        SimTestClient.Reply reply =
                client.chat("{\"messages\":[{\"role\":\"User\",\"text\":\"#fault:404-thread\"}]}", JSON, "nt-none");

        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.json().get("detail").asText()).contains("threadId is missing");
        assertThat(reply.json().has("threadId")).isFalse();
    }

    @Test
    void shouldAnswerAKeyProbeWithValidationProblemsAndCountIt() {
        // When a key probe is sent with an accepted key
        SimTestClient.Reply reply = client.chat("{\"messages\":[]}", JSON, null);

        // Then it gets 400 validation problem details, and counts as a probe
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
        assertThat(reply.json().get("title").asText()).isEqualTo("One or more validation errors occurred.");
        assertThat(reply.json().get("errors").has("messages")).isTrue();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(simulator.stats().probes()).isEqualTo(1L);
            assertThat(simulator.stats().callsByStatus()).containsEntry("400", 1L);
        });

        // And other invalid bodies, or a probe-shaped body sent for an account, are no probes
        assertThat(client.chat("{\"messages\":\"hi\"}", JSON, null).status()).isEqualTo(400);
        assertThat(client.chatAs("{\"messages\":[]}", JSON, null, "alice@example.com")
                        .status())
                .isEqualTo(400);
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().callsByStatus()).containsEntry("400", 3L));
        assertThat(simulator.stats().probes()).isEqualTo(1L);
        simulator.reset();
        assertThat(simulator.stats().probes()).isZero();
    }

    @Test
    void shouldAnswerAKeyProbeWith401WhenTheKeyIsRevokedOrWrong() {
        Map<String, String> wrong = new LinkedHashMap<>();
        wrong.put("Authorization", "Bearer not-the-key");
        wrong.put("Content-Type", JSON);
        SimTestClient.Reply wrongKey = client.send("POST", "/chats/v2", "{\"messages\":[]}", wrong, WAIT);
        assertThat(wrongKey.status()).isEqualTo(401);
        assertThat(wrongKey.headers().get("WWW-Authenticate")).startsWith("Bearer");

        client.send("POST", "/_sim/auth?reject=true", "", Map.of(), WAIT);
        assertThat(client.chat("{\"messages\":[]}", JSON, null).status()).isEqualTo(401);
        client.send("POST", "/_sim/auth?reject=false", "", Map.of(), WAIT);
        assertThat(client.chat("{\"messages\":[]}", JSON, null).status()).isEqualTo(400);
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(simulator.stats().probes()).isEqualTo(1L));
    }

    private SimTestClient.Reply chat(String text, String requestId) {
        return client.chat(SimTestClient.body("T", text), JSON, requestId);
    }
}
