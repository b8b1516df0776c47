package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@Timeout(30)
class ApiSimulatorCountersTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private ApiSimulator simulator;
    private SimTestClient client;

    private void start(SimulatorConfig.Builder config) {
        simulator = new ApiSimulator(config.build()).start();
        client = new SimTestClient(simulator.baseUrl());
    }

    @AfterEach
    void stop() {
        client.close();
        simulator.close();
    }

    private void concurrently(int calls) {
        List<Mono<SimTestClient.Reply>> sent = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            Map<String, String> headers = Map.of(
                    "Authorization",
                    "Bearer " + SimTestClient.KEY,
                    "Content-Type",
                    "application/json",
                    "Accept",
                    "application/json",
                    "X-Request-Id",
                    "req-" + i);
            sent.add(client.sendAsync("POST", "/chats/v2", SimTestClient.body("T" + i, "call " + i), headers, WAIT));
        }
        assertThat(Flux.merge(sent).collectList().block(WAIT.plusSeconds(5)))
                .extracting(SimTestClient.Reply::status)
                .containsOnly(200);
    }

    @Test
    void shouldCountCallsAndTheirBusyTimeCheaplyOverHttpAndInJava() throws Exception {
        // Given a simulator answering after 300 ms
        start(SimulatorConfig.builder().latency(LatencyModel.fixed(Duration.ofMillis(300))));
        SimulatorCounters before = simulator.counters();

        // When 4 calls run at once
        concurrently(4);
        await().atMost(WAIT).until(() -> simulator.counters().currentConcurrent() == 0);
        SimulatorCounters after = simulator.counters();

        // Then 4 calls finished with 200, each busy at least its 300 ms, and never more than 4 at once
        assertThat(after.totalCalls() - before.totalCalls()).isEqualTo(4);
        assertThat(after.finishedCalls()).isEqualTo(4);
        assertThat(after.callsByStatus()).containsEntry("200", 4L);
        assertThat(after.peakConcurrent()).isEqualTo(4);
        assertThat(after.busyNanos())
                .as("busy time of 4 calls of 300 ms")
                .isBetween(
                        Duration.ofMillis(1_200).toNanos(),
                        Duration.ofMillis(4_000).toNanos());
        assertThat(after.meanInFlightSince(before)).isBetween(0.0, 4.0);

        // and GET /_sim/counters serves the same, small
        SimTestClient.Reply reply = client.send("GET", "/_sim/counters", null, Map.of(), WAIT);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body().length()).as("size of the counters answer").isLessThan(512);
        JsonNode json = SimTestClient.JSON.readTree(reply.body());
        assertThat(json.get("totalCalls").asLong()).isEqualTo(4);
        assertThat(json.get("busyNanos").asLong()).isEqualTo(after.busyNanos());
        assertThat(json.get("callsByStatus").get("200").asLong()).isEqualTo(4);
        assertThat(json.has("nanoTime")).isTrue();
    }

    @Test
    void shouldKeepCallTimingsOnlyWhenAskedAndBoundThem() {
        // Given a simulator keeping at most 3 call timings
        start(SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(50)))
                .callTimings(3));

        // When 5 calls are made
        concurrently(5);
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 5);

        // Then 3 timings are kept, with their request ids and a start before the end; 2 were dropped
        List<CallTiming> timings = simulator.drainCallTimings();
        assertThat(timings).hasSize(3).allSatisfy(t -> {
            assertThat(t.correlationId()).startsWith("req-");
            assertThat(t.threadKey()).startsWith("T");
            assertThat(t.outcome()).isEqualTo("200");
            assertThat(t.endNanos() - t.startNanos())
                    .isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
        });
        assertThat(simulator.droppedCallTimings()).isEqualTo(2);
        assertThat(simulator.drainCallTimings()).as("drained once").isEmpty();
    }

    @Test
    void shouldKeepNoCallTimingsByDefault() {
        start(SimulatorConfig.builder());
        concurrently(2);
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 2);
        assertThat(simulator.drainCallTimings()).isEmpty();
    }
}
