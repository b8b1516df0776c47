package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.it.OutcomeReader.Outcome;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Faults of the API through the real broker: retried, dead-lettered, or paused on, as the taxonomy says. */
@WithKafka
class FaultsIT {

    private static final int MAX_IN_FLIGHT = 16;
    /** Fault kind of the middle turn, and the attempts its request needs with 3 attempts allowed. */
    private static final Map<String, Integer> RECOVERED =
            Map.of("429", 2, "429date", 2, "500x2", 3, "503x2", 3, "reset", 2);

    private static final List<String> KINDS = List.of("429", "429date", "500x2", "503x2", "reset", "500x50", "400");
    private static final int THREADS_PER_KIND = 2;

    private static SimulatorConfig.Builder fastApi() {
        return SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(20)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRetryTransientFaultsAndDeadLetterExhaustedAndBadRequestsInThreadOrder(KafkaCluster kafka) {
        // Given threads whose middle turn carries a fault marker, 3 attempts at most, short backoffs
        try (ItFixture fx = ItFixture.start(kafka, fastApi(), 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(MAX_IN_FLIGHT).build();
            List<ChatRequest> input = ItFixture.conversations(
                    "faults",
                    KINDS.size() * THREADS_PER_KIND,
                    3,
                    (thread, turn) ->
                            turn == 1 ? "Middle turn #fault:" + KINDS.get(thread / THREADS_PER_KIND) : "Turn " + turn);
            long start = System.nanoTime();
            ChatBridgeApp app = fx.startApp(engine);

            // When they arrive
            fx.produce(input);

            // Then each gets exactly one outcome, in thread order
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(60)))
                    .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            Invariants.printFigures("FaultsIT.taxonomy", input.size(), start, fx.simulator, "");
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));
            Invariants.assertAll(input, reader.outcomes(), fx.simulator, MAX_IN_FLIGHT);
            Map<String, Outcome> byId =
                    reader.outcomes().stream().collect(Collectors.toMap(Outcome::requestId, Function.identity()));
            for (ChatRequest request : input) {
                String text = request.getMessages().get(0).getText().toString();
                Outcome outcome = byId.get(request.getRequestId());
                String kind = text.contains("#fault:") ? text.substring(text.indexOf("#fault:") + 7) : null;
                if (kind == null) {
                    // turns without a fault are answered at the first attempt
                    assertThat(outcome.response())
                            .as("response to %s", request.getRequestId())
                            .isNotNull();
                    assertThat(outcome.response().getAttempts()).isEqualTo(1);
                } else if (RECOVERED.containsKey(kind)) {
                    // transient faults are retried and answered
                    ChatResponse response = outcome.response();
                    assertThat(response)
                            .as("response to %s (%s)", request.getRequestId(), kind)
                            .isNotNull();
                    assertThat(response.getAttempts())
                            .as("attempts of %s", kind)
                            .isEqualTo(RECOVERED.get(kind));
                } else if (kind.equals("500x50")) {
                    // more failures than the budget: RETRIES_EXHAUSTED with the last status
                    ChatDeadLetter dl = outcome.deadLetter();
                    assertThat(dl)
                            .as("dead letter of %s", request.getRequestId())
                            .isNotNull();
                    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
                    assertThat(dl.getHttpStatus()).isEqualTo(500);
                    assertThat(dl.getAttempts()).isEqualTo(3);
                    assertThat(dl.getRequest().getRequestId().toString())
                            .isEqualTo(request.getRequestId().toString());
                } else {
                    // 400: BAD_REQUEST with the problem details kept, errors included
                    ChatDeadLetter dl = outcome.deadLetter();
                    assertThat(dl)
                            .as("dead letter of %s", request.getRequestId())
                            .isNotNull();
                    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.BAD_REQUEST);
                    assertThat(dl.getHttpStatus()).isEqualTo(400);
                    assertThat(dl.getAttempts()).isEqualTo(1);
                    assertThat(dl.getProblem()).isNotNull();
                    assertThat(dl.getProblem().getStatus()).isEqualTo(400);
                    assertThat(dl.getProblem().getErrors()).isNotEmpty();
                }
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldPauseWithoutDeadLettersAndResumeWhenTheApiRejectsTheKeyForAWhile(KafkaCluster kafka) {
        // Given an instance answering traffic
        try (ItFixture fx = ItFixture.start(kafka, fastApi(), 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(MAX_IN_FLIGHT).build();
            List<ChatRequest> input = ItFixture.conversations("operator", 40, 5, (thread, turn) -> "Turn " + turn);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            long start = System.nanoTime();
            ChatBridgeApp app = fx.startApp(engine);
            fx.produce(input.subList(0, 80));
            assertThat(reader.awaitAll(ids.subList(0, 40), Duration.ofSeconds(60)))
                    .as("first turns")
                    .isTrue();
            await("ready").atMost(Duration.ofSeconds(10)).until(app::isReady);

            // When the API rejects every key for a while, with traffic arriving
            fx.simulator.rejectAllKeys(true);
            fx.produce(input.subList(80, input.size()));
            await("not ready during the episode").atMost(Duration.ofSeconds(10)).until(() -> !app.isReady());
            long rejectedAt = fx.simulator.stats().callsByStatus().getOrDefault("401", 0L);
            await("probes keep being refused")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> fx.simulator.stats().callsByStatus().getOrDefault("401", 0L) >= rejectedAt + 2);
            assertThat(app.isReady()).as("still not ready while refused").isFalse();
            int seenDuringEpisode = reader.distinctSeen();
            fx.simulator.rejectAllKeys(false);

            // Then everything completes, with no dead letter at all
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(60)))
                    .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                    .isTrue();
            await("ready again").atMost(Duration.ofSeconds(10)).until(app::isReady);
            long refused = fx.simulator.stats().callsByStatus().getOrDefault("401", 0L);
            Invariants.printFigures(
                    "FaultsIT.operator",
                    input.size(),
                    start,
                    fx.simulator,
                    "refused401=" + refused + " episodes="
                            + app.resources().pause().episodes() + " outcomesDuringEpisode=" + seenDuringEpisode);
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));
            assertThat(reader.outcomes())
                    .as("outcomes")
                    .allSatisfy(o -> assertThat(o.isResponse()).isTrue());
            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            Invariants.assertConcurrency(fx.simulator, MAX_IN_FLIGHT, true);
            assertThat(app.resources().pause().episodes())
                    .as("operator episodes")
                    .isGreaterThanOrEqualTo(1);
            assertThat(refused).as("calls refused with 401").isPositive();
        }
    }
}
