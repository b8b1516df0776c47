package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The simulator's quotas: calls in progress, requests per second, the Retry-After burst and load-driven latency. */
@Timeout(30)
class ApiSimulatorQuotasTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String JSON = "application/json";

    private ApiSimulator simulator;
    private SimTestClient client;

    private void start(SimulatorConfig.Builder config) {
        simulator = new ApiSimulator(config.build()).start();
        client = new SimTestClient(simulator.baseUrl());
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    private Mono<SimTestClient.Reply> call(int i) {
        Map<String, String> headers = Map.of(
                "Authorization",
                "Bearer " + SimTestClient.KEY,
                "Content-Type",
                JSON,
                "Accept",
                JSON,
                "X-Request-Id",
                "q-" + i);
        return client.sendAsync("POST", "/chats/v2", SimTestClient.body("T" + i, "call " + i), headers, WAIT);
    }

    private List<SimTestClient.Reply> concurrently(int calls) {
        List<Mono<SimTestClient.Reply>> sent = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            sent.add(call(i));
        }
        return Flux.merge(sent).collectList().block(WAIT.plusSeconds(5));
    }

    private static void assertTooManyRequests(SimTestClient.Reply reply, String retryAfter) {
        assertThat(reply.status()).as("status, body %s", reply.body()).isEqualTo(429);
        assertThat(reply.headers().get("Retry-After")).isEqualTo(retryAfter);
        assertThat(reply.headers().get("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.get("type").asText()).isEqualTo("https://tools.ietf.org/html/rfc6585#section-4");
        assertThat(problem.get("title").asText()).isEqualTo("Too Many Requests");
        assertThat(problem.get("status").asInt()).isEqualTo(429);
        assertThat(problem.get("instance").asText()).isEqualTo("/chats/v2");
        assertThat(problem.get("traceId").asText()).startsWith("00-");
    }

    @Test
    void shouldRefuseACallBeyondTheConcurrencyLimitAtOnceAndAdmitCallsAgainOnceTheOthersFinished() throws Exception {
        // Given a simulator allowing 2 calls in progress, answering after 1.5 s, with Retry-After 3
        start(SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(1_500)))
                .maxConcurrent(2)
                .retryAfterSeconds(3));

        // When 2 calls are in progress
        CompletableFuture<SimTestClient.Reply> first = call(1).toFuture();
        CompletableFuture<SimTestClient.Reply> second = call(2).toFuture();
        await().atMost(WAIT).until(() -> simulator.admittedInProgress() == 2);

        // Then a third gets 429 at once (well before the 1.5 s the others take), with Retry-After: 3
        long start = System.nanoTime();
        SimTestClient.Reply third = client.chat(SimTestClient.body("T3", "third"), JSON, "q-3");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTooManyRequests(third, "3");
        assertThat(third.json().get("detail").asText()).contains("at most 2 at once");
        assertThat(tookMs).as("ms to the 429").isLessThan(1_200);
        assertThat(simulator.counters().quotaRefusals("concurrency")).isEqualTo(1);

        // and the two calls in progress are answered
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(second.get(WAIT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);

        // and once they finished, calls are admitted again
        await().atMost(WAIT).until(() -> simulator.admittedInProgress() == 0);
        assertThat(client.chat(SimTestClient.body("T4", "fourth"), JSON, "q-4").status())
                .isEqualTo(200);

        // and GET /_sim/counters tells the 429 by cause
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 4);
        SimTestClient.Reply counters = client.send("GET", "/_sim/counters", null, Map.of(), WAIT);
        JsonNode refusals = counters.json().get("quotaRefusals");
        assertThat(refusals.get("concurrency").asLong()).isEqualTo(1);
        assertThat(refusals.get("rate").asLong()).isZero();
        assertThat(refusals.get("burst").asLong()).isZero();
        assertThat(counters.json().get("callsByStatus").get("429").asLong()).isEqualTo(1);
        assertThat(counters.json().get("callsByStatus").get("200").asLong()).isEqualTo(3);
    }

    @Test
    void shouldGiveTheSlotBackWhenTheClientLeaves() {
        // Given one slot and calls that take 5 s
        start(SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofSeconds(5)))
                .maxConcurrent(1));

        // When a client gives up after 300 ms
        Map<String, String> headers =
                Map.of("Authorization", "Bearer " + SimTestClient.KEY, "Content-Type", JSON, "Accept", JSON);
        SimTestClient.Reply gaveUp =
                client.send("POST", "/chats/v2", SimTestClient.body("T", "hi"), headers, Duration.ofMillis(300));
        assertThat(gaveUp.error()).isNotNull();

        // Then its slot is free again well before the 5 s
        await().atMost(Duration.ofSeconds(4)).until(() -> simulator.admittedInProgress() == 0);
    }

    @Test
    void shouldRefuseCallsAboveTheRateAndCountThem() {
        // Given a simulator admitting 5 calls per second
        start(SimulatorConfig.builder().maxRequestsPerSecond(5));

        // When 30 calls arrive at once
        long start = System.nanoTime();
        List<SimTestClient.Reply> replies = concurrently(30);
        double seconds = (System.nanoTime() - start) / 1e9;

        // Then no more were admitted than the bucket holds plus its refill over the burst, the others got 429
        long ok = replies.stream().filter(r -> r.status() == 200).count();
        List<SimTestClient.Reply> refused =
                replies.stream().filter(r -> r.status() == 429).toList();
        assertThat(ok + refused.size()).as("200s and 429s").isEqualTo(30);
        assertThat(ok).as("admitted in %.2f s", seconds).isBetween(5L, 5L + (long) Math.ceil(5 * seconds));
        assertThat(refused).isNotEmpty().allSatisfy(r -> assertTooManyRequests(r, "1"));
        assertThat(refused.get(0).json().get("detail").asText()).contains("5 requests per second");

        // and counted as rate refusals
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 30);
        SimulatorCounters counters = simulator.counters();
        assertThat(counters.quotaRefusals("rate")).isEqualTo(refused.size());
        assertThat(counters.quotaRefusals("concurrency")).isZero();
        assertThat(counters.callsByStatus()).containsEntry("429", (long) refused.size());

        // and once tokens are back, calls are admitted again
        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> client.chat(SimTestClient.body("T", "again"), JSON, null)
                                .status()
                        == 200);
    }

    @Test
    void shouldAdmitEverythingWithoutQuotas() {
        // Given the defaults
        start(SimulatorConfig.builder());

        // When 40 calls arrive at once
        assertThat(concurrently(40)).extracting(SimTestClient.Reply::status).containsOnly(200);

        // Then none was refused, and the counters say so for every cause
        assertThat(simulator.counters().quotaRefusals())
                .containsExactlyInAnyOrderEntriesOf(Map.of("concurrency", 0L, "rate", 0L, "burst", 0L));
    }

    @Test
    void shouldAnswerABurstOf429sWithTheGivenRetryAfterThenServeAgain() {
        // Given a simulator whose first 3 calls get 429 with Retry-After: 2
        start(SimulatorConfig.builder().retryAfterBurst(3, 2));

        // When a call with a wrong key comes first, it gets 401 and does not take a burst 429
        Map<String, String> badKey = Map.of("Authorization", "Bearer nope", "Content-Type", JSON, "Accept", JSON);
        assertThat(client.send("POST", "/chats/v2", SimTestClient.body("T", "x"), badKey, WAIT)
                        .status())
                .isEqualTo(401);

        // Then the next 3 calls get 429 with Retry-After: 2, and the fourth is answered
        for (int i = 0; i < 3; i++) {
            assertTooManyRequests(client.chat(SimTestClient.body("T", "hi " + i), JSON, null), "2");
        }
        assertThat(client.chat(SimTestClient.body("T", "hi 3"), JSON, null).status())
                .isEqualTo(200);
        assertThat(simulator.counters().quotaRefusals("burst")).isEqualTo(3);
    }

    @Test
    void shouldStartABurstOverHttpAndRefuseBadParameters() {
        start(SimulatorConfig.builder());

        // When a burst of 2 calls with Retry-After: 5 is asked for over HTTP
        SimTestClient.Reply started = client.send("POST", "/_sim/burst?calls=2&retryAfter=5", "", Map.of(), WAIT);
        assertThat(started.status()).isEqualTo(200);
        assertThat(started.json().get("burstCalls").asInt()).isEqualTo(2);

        // Then the next 2 calls get it, and the third is answered
        assertTooManyRequests(client.chat(SimTestClient.body("T", "a"), JSON, null), "5");
        assertTooManyRequests(client.chat(SimTestClient.body("T", "b"), JSON, null), "5");
        assertThat(client.chat(SimTestClient.body("T", "c"), JSON, null).status())
                .isEqualTo(200);

        // and a reset ends a running burst
        simulator.retryAfterBurst(100, 1);
        simulator.reset();
        assertThat(client.chat(SimTestClient.body("T", "d"), JSON, null).status())
                .isEqualTo(200);

        // and parameters missing, not whole numbers or out of range get 400 and start nothing
        for (String query : List.of(
                "calls=2",
                "retryAfter=1",
                "calls=x&retryAfter=1",
                "calls=2&retryAfter=-1",
                "calls=2&retryAfter=86401",
                "calls=1&calls=2&retryAfter=1")) {
            assertThat(client.send("POST", "/_sim/burst?" + query, "", Map.of(), WAIT)
                            .status())
                    .as(query)
                    .isEqualTo(400);
        }
        assertThat(client.chat(SimTestClient.body("T", "e"), JSON, null).status())
                .isEqualTo(200);
        assertThat(simulator.counters().quotaRefusals("burst")).isEqualTo(2);
    }

    @Test
    void shouldSlowTheFirstByteDownAsCallsInProgressExceedTheQueueingCapacity() {
        // Given a simulator answering after 300 ms that serves 1 call at once without slowing down
        start(SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(300)))
                .queueingCapacity(1)
                .callTimings(100));

        // and warm (the first call of a JVM loads classes for a while)
        assertThat(concurrently(2)).extracting(SimTestClient.Reply::status).containsOnly(200);
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 2);
        simulator.drainCallTimings();

        // When calls run alone, one after the other, then 8 at once
        for (int i = 0; i < 2; i++) {
            assertThat(concurrently(1)).extracting(SimTestClient.Reply::status).containsOnly(200);
        }
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 4);
        double alone = meanCallMillis(simulator.drainCallTimings());
        assertThat(concurrently(8)).extracting(SimTestClient.Reply::status).containsOnly(200);
        await().atMost(WAIT).until(() -> simulator.counters().finishedCalls() == 12);
        double loaded = meanCallMillis(simulator.drainCallTimings());

        // Then the calls under load took much longer at the simulator (factors 1 to 8, mean 4.5; at least 2 asked)
        assertThat(loaded / alone)
                .as("mean ms under load %.0f / alone %.0f", loaded, alone)
                .isGreaterThanOrEqualTo(2.0);
    }

    private double meanCallMillis(List<CallTiming> timings) {
        assertThat(timings).isNotEmpty();
        return timings.stream()
                        .mapToLong(t -> t.endNanos() - t.startNanos())
                        .average()
                        .orElseThrow()
                / 1e6;
    }

    @Test
    void shouldGrowTheQueueingFactorMonotonicallyUpToItsCap() {
        assertThat(Quotas.queueingFactor(0, 4)).isEqualTo(1.0);
        assertThat(Quotas.queueingFactor(4, 4)).isEqualTo(1.0);
        assertThat(Quotas.queueingFactor(6, 4)).isEqualTo(1.5);
        assertThat(Quotas.queueingFactor(8, 4)).isEqualTo(2.0);
        assertThat(Quotas.queueingFactor(39, 4)).isEqualTo(9.75);
        assertThat(Quotas.queueingFactor(40, 4)).isEqualTo(Quotas.MAX_QUEUEING_FACTOR);
        assertThat(Quotas.queueingFactor(10_000, 4)).isEqualTo(Quotas.MAX_QUEUEING_FACTOR);
        assertThat(Quotas.queueingFactor(100, 0)).as("off").isEqualTo(1.0);
        double previous = 0;
        for (int n = 0; n < 100; n++) {
            double factor = Quotas.queueingFactor(n, 7);
            assertThat(factor).isGreaterThanOrEqualTo(previous);
            previous = factor;
        }
    }
}
