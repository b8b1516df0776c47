package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.app.AuditTrail;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.it.OutcomeReader.Outcome;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.LogCapture;
import dev.chatbridge.testing.WithKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Refusals through a real broker and the simulator over HTTP: a refused account is that request's dead letter and holds
 * up no one else; a refused key pauses the instance without dead letters; every call has exactly one audit event.
 */
@WithKafka
class RefusalsIT {

    private static final int MAX_IN_FLIGHT = 16;
    private static final String BLOCKED = "@blocked.example";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SimulatorConfig.Builder api() {
        return SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(20)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5))
                .refusedAccounts(BLOCKED);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldDeadLetterRefusedAccountsAloneAndPauseOnlyForARevokedKey(KafkaCluster kafka) throws Exception {
        try (LogCapture audit = LogCapture.start(Map.of(AuditTrail.LOGGER, Level.INFO));
                ItFixture fx = ItFixture.start(kafka, api(), 4);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(MAX_IN_FLIGHT).build();
            ChatBridgeApp app = fx.startApp(engine);

            // Given a warmed-up instance and a baseline: normal traffic alone
            List<ChatRequest> warmup = ItFixture.conversations("warm", 10, 1, (thread, turn) -> "Turn " + turn);
            produceAndMeasure(fx, reader, warmup);
            List<ChatRequest> baseline = ItFixture.conversations("base", 30, 2, (thread, turn) -> "Turn " + turn);
            Map<String, Long> baselineLatency = produceAndMeasure(fx, reader, baseline);
            await("ready").atMost(Duration.ofSeconds(10)).until(app::isReady);

            // When refused accounts are interleaved with the same amount of normal traffic, one of
            // them in the middle of a conversation
            List<ChatRequest> mixed = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (ChatRequest request : ItFixture.conversations("mixed", 30, 2, (thread, turn) -> "Turn " + turn)) {
                mixed.add(request);
                if (mixed.size() % 6 == 0) {
                    ChatRequest denied = withAccount(
                            ItFixture.request(
                                    "denied-" + refused.size(),
                                    "denied-" + refused.size() + "-r0",
                                    "Act as someone else"),
                            "x" + refused.size() + BLOCKED);
                    mixed.add(denied);
                    refused.add(denied.getRequestId());
                }
            }
            ChatRequest middle = withAccount(ItFixture.request("mixed-t0", "mixed-t0-r1b", "Turn 1b"), "eve" + BLOCKED);
            mixed.add(mixed.indexOf(find(mixed, "mixed-t0-r1")) + 1, middle);
            refused.add(middle.getRequestId());
            ChatRequest after = ItFixture.request("mixed-t0", "mixed-t0-r2", "Turn 2");
            mixed.add(after);
            ReadinessSampler sampler = new ReadinessSampler(app);
            Map<String, Long> mixedLatency;
            try {
                mixedLatency = produceAndMeasure(fx, reader, mixed);
            } finally {
                sampler.close();
            }

            // Then each refused request has one IMPERSONATION_DENIED dead letter with the API's problem
            Map<String, Outcome> byId = reader.outcomes().stream()
                    .collect(Collectors.toMap(Outcome::requestId, Function.identity(), (a, b) -> a));
            for (String id : refused) {
                ChatDeadLetter letter = byId.get(id).deadLetter();
                assertThat(letter).as("dead letter of %s", id).isNotNull();
                assertThat(letter.getReason()).isEqualTo(DeadLetterReason.IMPERSONATION_DENIED);
                assertThat(letter.getHttpStatus()).isEqualTo(403);
                assertThat(letter.getProblem()).isNotNull();
                assertThat(letter.getProblem().getDetail()).contains(BLOCKED);
                assertThat(letter.getAttempts()).as("a refusal is not retried").isEqualTo(1);
            }
            // ... the normal requests are answered, in thread order around the refused turn
            assertThat(mixed.stream().filter(r -> !refused.contains(r.getRequestId())))
                    .allSatisfy(r -> assertThat(byId.get(r.getRequestId()).isResponse())
                            .as("response to %s", r.getRequestId())
                            .isTrue());
            Invariants.assertOutcomeOrderPerThread(mixed, reader.outcomes());
            // ... readiness never dropped, no pause, and the normal requests' latency is unaffected
            assertThat(sampler.notReady.get()).as("samples with readiness down").isZero();
            assertThat(sampler.samples.get()).isPositive();
            assertThat(app.resources().pause().episodes()).isZero();
            // (the turn after the refused one in mixed-t0 waits for that refusal's key check, by design: it is
            // the same conversation; it is reported apart)
            Predicate<String> others = id -> !refused.contains(id) && !id.equals("mixed-t0-r2");
            long normalMixed = max(mixedLatency, others);
            long normalBase = max(baselineLatency, id -> true);
            System.out.printf(
                    "FIGURES RefusalsIT.accounts requests of other conversations: max latency %d ms alone, "
                            + "%d ms with %d refused accounts interleaved (p50 %d ms vs %d ms); the turn after a refused one "
                            + "in its own conversation: %d ms; refused requests' dead letters: max %d ms%n",
                    normalBase,
                    normalMixed,
                    refused.size(),
                    p50(baselineLatency, id -> true),
                    p50(mixedLatency, others),
                    mixedLatency.get("mixed-t0-r2"),
                    max(mixedLatency, refused::contains));
            assertThat(normalMixed)
                    .as("max latency of normal requests among refusals, vs %d ms alone", normalBase)
                    .isLessThan(Math.max(3 * normalBase, 3_000));

            // When the API key is really revoked, with traffic arriving
            int lettersBefore = (int)
                    reader.outcomes().stream().filter(o -> !o.isResponse()).count();
            fx.simulator.rejectAllKeys(true);
            List<ChatRequest> late = ItFixture.conversations("late", 10, 2, (thread, turn) -> "Turn " + turn);
            fx.produce(late);
            await("not ready while the key is refused")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> !app.isReady());
            long probes = fx.simulator.stats().probes();
            long refusedCalls = fx.simulator.stats().callsByStatus().getOrDefault("401", 0L);
            await("key checks go on")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> fx.simulator.stats().callsByStatus().getOrDefault("401", 0L) >= refusedCalls + 2);
            assertThat(app.isReady()).isFalse();
            assertThat(fx.simulator.stats().probes())
                    .as("no key check reached the body while refused")
                    .isEqualTo(probes);
            reader.pollOnce();
            assertThat(reader.outcomes().stream().filter(o -> !o.isResponse()))
                    .as("no dead letters for a revoked key")
                    .hasSize(lettersBefore);

            // Then it recovers by itself once the key is accepted again
            fx.simulator.rejectAllKeys(false);
            List<String> lateIds = late.stream().map(ChatRequest::getRequestId).toList();
            assertThat(reader.awaitAll(lateIds, Duration.ofSeconds(60)))
                    .as("late outcomes")
                    .isTrue();
            await("ready again").atMost(Duration.ofSeconds(10)).until(app::isReady);
            assertThat(app.resources().pause().episodes()).isEqualTo(1);
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));
            assertThat(reader.outcomes().stream().filter(o -> lateIds.contains(o.requestId())))
                    .allSatisfy(o -> assertThat(o.isResponse())
                            .as("late %s", o.requestId())
                            .isTrue());
            List<ChatRequest> all = new ArrayList<>(warmup);
            all.addAll(baseline);
            all.addAll(mixed);
            all.addAll(late);
            Invariants.assertExactlyOneOutcomeEach(all, reader.outcomes());

            // And every call the simulator received has exactly one audit event, without content
            List<JsonNode> events = audit.events().stream()
                    .filter(e -> e.getLoggerName().equals(AuditTrail.LOGGER))
                    .map(ILoggingEvent::getFormattedMessage)
                    .map(RefusalsIT::parse)
                    .toList();
            assertThat((long) events.size())
                    .as("audit events vs calls received by the simulator")
                    .isEqualTo(fx.simulator.stats().totalCalls());
            Map<String, Integer> callsById = new HashMap<>();
            // (the simulator refuses a key or an account before it reads the body, so it records no thread
            // for those calls: they are counted apart)
            events.stream()
                    .filter(e -> e.get("audit").asText().equals("call"))
                    .filter(e ->
                            e.path("status").asInt() != 401 && e.path("status").asInt() != 403)
                    .forEach(e -> callsById.merge(e.get("requestId").asText(), 1, Integer::sum));
            long refusedEvents = events.stream()
                    .filter(e -> e.get("audit").asText().equals("call"))
                    .filter(e ->
                            e.path("status").asInt() == 401 || e.path("status").asInt() == 403)
                    .count();
            assertThat(refusedEvents)
                    .as("audit events of refused calls vs the simulator's 401s and 403s")
                    .isEqualTo(fx.simulator.stats().callsByStatus().getOrDefault("401", 0L)
                            + fx.simulator.stats().callsByStatus().getOrDefault("403", 0L)
                            - events.stream()
                                    .filter(e -> e.get("audit").asText().equals("key_check"))
                                    .filter(e -> e.path("status").asInt() == 401)
                                    .count());
            for (ChatRequest request : all) {
                int received = refused.contains(request.getRequestId())
                        ? 0
                        : (int) fx.simulator.receivedOrder(request.getThreadId()).stream()
                                .filter(c -> request.getRequestId().equals(c.correlationId()))
                                .count();
                assertThat(callsById.getOrDefault(request.getRequestId(), 0))
                        .as("audit events of %s", request.getRequestId())
                        .isEqualTo(received);
            }
            assertThat(events)
                    .filteredOn(e -> e.get("audit").asText().equals("key_check"))
                    .isNotEmpty();
            assertThat(events)
                    .filteredOn(e -> refused.contains(e.path("requestId").asText()))
                    .as("one audit event per refused account, not retried")
                    .hasSize(refused.size())
                    .allSatisfy(e -> {
                        assertThat(e.get("account").asText()).endsWith(BLOCKED);
                        assertThat(e.get("status").asInt()).isEqualTo(403);
                        assertThat(e.get("topic").asText()).isEqualTo(engine.requestsTopic());
                        assertThat(e.get("offset").asLong()).isNotNegative();
                    });
            assertThat(audit.events())
                    .as("audit lines carry no prompt")
                    .noneMatch(e -> e.getFormattedMessage().contains("Turn")
                            || e.getFormattedMessage().contains("someone else"));
        }
    }

    private static Map<String, Long> produceAndMeasure(ItFixture fx, OutcomeReader reader, List<ChatRequest> batch) {
        long producedAt = System.currentTimeMillis();
        fx.produce(batch);
        List<String> ids = batch.stream().map(ChatRequest::getRequestId).toList();
        assertThat(reader.awaitAll(ids, Duration.ofSeconds(60)))
                .as("all outcomes (seen %d of %d)", reader.distinctSeen(), ids.size())
                .isTrue();
        Map<String, Long> latency = new HashMap<>();
        reader.outcomes().stream()
                .filter(o -> ids.contains(o.requestId()))
                .forEach(o -> latency.put(o.requestId(), o.timestamp() - producedAt));
        return latency;
    }

    private static long max(Map<String, Long> latency, Predicate<String> which) {
        return latency.entrySet().stream()
                .filter(e -> which.test(e.getKey()))
                .mapToLong(Map.Entry::getValue)
                .max()
                .orElseThrow();
    }

    private static long p50(Map<String, Long> latency, Predicate<String> which) {
        long[] sorted = latency.entrySet().stream()
                .filter(e -> which.test(e.getKey()))
                .mapToLong(Map.Entry::getValue)
                .sorted()
                .toArray();
        return sorted[sorted.length / 2];
    }

    private static ChatRequest find(List<ChatRequest> requests, String requestId) {
        return requests.stream()
                .filter(r -> r.getRequestId().equals(requestId))
                .findFirst()
                .orElseThrow();
    }

    private static ChatRequest withAccount(ChatRequest request, String account) {
        return ChatRequest.newBuilder(request).setAccount(account).build();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("an audit line is not JSON: " + json, e);
        }
    }

    /** Samples readiness every 10 ms until closed. */
    private static final class ReadinessSampler implements AutoCloseable {
        final AtomicInteger samples = new AtomicInteger();
        final AtomicInteger notReady = new AtomicInteger();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

        ReadinessSampler(ChatBridgeApp app) {
            timer.scheduleAtFixedRate(
                    () -> {
                        samples.incrementAndGet();
                        if (!app.isReady()) {
                            notReady.incrementAndGet();
                        }
                    },
                    0,
                    10,
                    TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            timer.shutdownNow();
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
