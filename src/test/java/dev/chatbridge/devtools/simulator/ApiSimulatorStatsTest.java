package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@Timeout(30)
class ApiSimulatorStatsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Map<String, String> HEADERS = Map.of(
            "Authorization",
            "Bearer " + SimTestClient.KEY,
            "Content-Type",
            "application/json",
            "Accept",
            "application/json");

    private ApiSimulator simulator;
    private SimTestClient client;

    private void start(SimulatorConfig config) {
        simulator = new ApiSimulator(config).start();
        client = new SimTestClient(simulator.baseUrl());
    }

    @AfterEach
    void stop() {
        client.close();
        simulator.close();
    }

    private List<SimTestClient.Reply> concurrently(List<String> threads) {
        List<Mono<SimTestClient.Reply>> calls = new ArrayList<>();
        for (int i = 0; i < threads.size(); i++) {
            calls.add(client.sendAsync(
                    "POST", "/chats/v2", SimTestClient.body(threads.get(i), "call " + i), HEADERS, WAIT));
        }
        return Flux.merge(calls).collectList().block(WAIT.plusSeconds(5));
    }

    @Test
    void shouldMeasurePeakConcurrencyOfOneThread() {
        // Given a fixed latency long enough for every call to overlap
        start(SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(1500)))
                .build());

        // When 8 calls of one thread are fired at once
        List<SimTestClient.Reply> replies = concurrently(List.of("P", "P", "P", "P", "P", "P", "P", "P"));

        // Then the peak of that thread and the global peak are 8
        assertThat(replies).extracting(SimTestClient.Reply::status).containsOnly(200);
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().currentConcurrent()).isZero());
        SimulatorStats stats = simulator.stats();
        assertThat(stats.threads().get("P").peakConcurrent()).isEqualTo(8);
        assertThat(stats.threads().get("P").calls()).isEqualTo(8);
        assertThat(simulator.peakConcurrency()).isEqualTo(8);
    }

    @Test
    void shouldCountThreadsSeparately() {
        start(SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(1500)))
                .build());

        concurrently(List.of("A", "B", "C", "A", "B", "C"));

        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().currentConcurrent()).isZero());
        SimulatorStats stats = simulator.stats();
        assertThat(stats.threads()).containsOnlyKeys("A", "B", "C");
        assertThat(stats.threads().values()).allSatisfy(t -> {
            assertThat(t.peakConcurrent()).isEqualTo(2);
            assertThat(t.calls()).isEqualTo(2);
            assertThat(t.currentConcurrent()).isZero();
        });
        assertThat(stats.peakConcurrent()).isEqualTo(6);
        assertThat(stats.totalCalls()).isEqualTo(6);
    }

    @Test
    void shouldRecordEachThreadsCallsInArrivalOrder() {
        start(SimulatorConfig.builder().build());

        for (int i = 1; i <= 3; i++) {
            client.chat(SimTestClient.body("T", "message " + i), "application/json", "corr-" + i);
            client.chat(SimTestClient.body("U", "other " + i), "application/json", null);
        }

        assertThat(simulator.receivedOrder("T"))
                .extracting(ReceivedCall::correlationId, ReceivedCall::text)
                .containsExactly(
                        Tuple.tuple("corr-1", "message 1"),
                        Tuple.tuple("corr-2", "message 2"),
                        Tuple.tuple("corr-3", "message 3"));
        assertThat(simulator.receivedOrder("U"))
                .extracting(ReceivedCall::text)
                .containsExactly("other 1", "other 2", "other 3");
        assertThat(simulator.receivedOrder("U"))
                .allSatisfy(c -> assertThat(c.requestId()).startsWith("sim-"));
        assertThat(simulator.receivedOrder("nobody")).isEmpty();
    }

    @Test
    void shouldKeyCallsWithoutThreadByRequestId() {
        start(SimulatorConfig.builder().build());
        String body = "{\"messages\":[{\"text\":\"alone\",\"role\":\"User\"}]}";

        SimTestClient.Reply reply = client.chat(body, "application/json", "solo-1");

        assertThat(reply.json().get("text").asText()).startsWith("Turn 1 of thread (none)");
        assertThat(simulator.receivedOrder("request:solo-1"))
                .extracting(ReceivedCall::text)
                .containsExactly("alone");
    }

    @Test
    void shouldRecordTheImpersonatedAccount() {
        start(SimulatorConfig.builder().build());
        Map<String, String> headers = new HashMap<>(HEADERS);
        headers.put("unleash-account", "zoe@example.com");

        client.send("POST", "/chats/v2", SimTestClient.body("T", "as Zoë"), headers, WAIT);

        assertThat(simulator.receivedOrder("T"))
                .extracting(ReceivedCall::account)
                .containsExactly("zoe@example.com");
    }

    @Test
    void shouldServeStatsAsJsonAndResetOverHttp() {
        // Given an answered call and a refused one
        start(SimulatorConfig.builder().build());
        client.chat(SimTestClient.body("T", "hello"), "application/json", "s-1");
        client.chat(SimTestClient.body("T", "#fault:503"), "application/json", "s-2");
        await().atMost(WAIT)
                .untilAsserted(
                        () -> assertThat(simulator.stats().currentConcurrent()).isZero());

        // When reading the stats over HTTP
        JsonNode stats = client.send("GET", "/_sim/stats", null, Map.of(), WAIT).json();

        // Then they hold totals, statuses, peaks and the per-thread order
        assertThat(stats.get("totalCalls").asLong()).isEqualTo(2);
        assertThat(stats.get("currentConcurrent").asInt()).isZero();
        assertThat(stats.get("peakConcurrent").asInt()).isEqualTo(1);
        assertThat(stats.at("/callsByStatus/200").asLong()).isEqualTo(1);
        assertThat(stats.at("/callsByStatus/503").asLong()).isEqualTo(1);
        assertThat(stats.at("/threads/T/calls").asLong()).isEqualTo(2);
        assertThat(stats.at("/threads/T/turns").asLong()).isEqualTo(1);
        assertThat(stats.at("/threads/T/peakConcurrent").asInt()).isEqualTo(1);
        assertThat(stats.at("/threads/T/order/1/text").asText()).isEqualTo("#fault:503");
        assertThat(stats.at("/threads/T/order/0/correlationId").asText()).isEqualTo("s-1");

        // When resetting over HTTP, then everything is forgotten, turns included
        assertThat(client.send("POST", "/_sim/reset", "", Map.of(), WAIT).status())
                .isEqualTo(204);
        assertThat(simulator.stats().totalCalls()).isZero();
        assertThat(simulator.stats().threads()).isEmpty();
        assertThat(simulator.peakConcurrency()).isZero();
        assertThat(client.chat(SimTestClient.body("T", "again"), "application/json", "s-3")
                        .json()
                        .get("text")
                        .asText())
                .startsWith("Turn 1 of thread T");
    }

    @Test
    void shouldInjectFaultsAtConfiguredRates() {
        // Given every call answered 429 by configuration
        start(SimulatorConfig.builder()
                .faultRates(new FaultRates(1.0, 3, 0, 0, 1, 0))
                .build());

        SimTestClient.Reply reply = client.chat(SimTestClient.body("T", "hi"), "application/json", "r");

        assertThat(reply.status()).isEqualTo(429);
        assertThat(reply.headers().get("Retry-After")).isEqualTo("3");
    }

    @Test
    void shouldFailWholeBurstsOfServerErrors() {
        // Given 500 bursts of 4 calls starting with probability 0.2
        start(SimulatorConfig.builder()
                .seed(5)
                .faultRates(new FaultRates(0, 1, 0.2, 0, 4, 0))
                .build());

        // When 60 calls are made one after the other
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            statuses.add(client.chat(SimTestClient.body("T" + i, "hi"), "application/json", "b-" + i)
                    .status());
        }

        // Then the 500s come in runs of at least 4 (a run cut by the end aside), and some calls succeed
        assertThat(statuses).contains(500, 200);
        int run = 0;
        for (int i = 0; i < statuses.size(); i++) {
            if (statuses.get(i) == 500) {
                run++;
            } else {
                assertThat(run)
                        .as("length of the 500 run ending at call %d in %s", i, statuses)
                        .isIn(0, 4, 8, 12, 16, 20);
                run = 0;
            }
        }
    }

    @Test
    void shouldResetConnectionsAtTheConfiguredRate() {
        start(SimulatorConfig.builder()
                .faultRates(new FaultRates(0, 1, 0, 0, 1, 1.0))
                .build());

        SimTestClient.Reply reply = client.chat(SimTestClient.body("T", "hi"), "application/json", "r");

        assertThat(reply.error()).isNotNull();
    }
}
