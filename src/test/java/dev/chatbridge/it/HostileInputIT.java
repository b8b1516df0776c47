package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.it.HostileRecords.Hostile;
import dev.chatbridge.it.OutcomeReader.Outcome;
import dev.chatbridge.serde.AvroDeserializer;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerializer;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile input through the real broker, the simulator over HTTP and the embedded registry, with normal conversations
 * in the same topic: every hostile record gets exactly one dead letter with the right reason, every normal request
 * exactly one response in thread order, the instance never leaves RUNNING, a registry outage only delays requests, and
 * the heap stays bounded.
 *
 * <p>What is hostile (built in {@link HostileRecords}): requests that decode but break the request contract (a ~900 KB
 * request with a 300 KB threadId, 300 KB of metadata and a blank account; a 300 KB requestId; 20 KB of metadata;
 * control characters in ids; a blank threadId), Avro length bombs (array, string, bytes, map and a nested string
 * claiming 2^31 items or 2e9 bytes), truncated, bit-flipped and wrong-magic records, 2,000 unknown schema ids, a
 * tombstone, and a request the API answers with 1 MiB of problem details. A null key with a valid value is not hostile:
 * it is answered.
 *
 * <p>The registry outage: the instance reaches the registry through a {@link CuttableRelay}; the relay is cut (every
 * connection closed, the port refusing) and the {@link dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry}
 * stopped, later turns are produced written with a compatible writer schema the instance has not fetched yet, and after
 * {@link #OUTAGE} the registry is started again on its port (it keeps its store across {@code close()}/{@code start()})
 * and the relay restored. The relay is needed because the stopped registry goes on serving established keep-alive
 * connections.
 *
 * <p>Failures are collected with soft assertions, so that one run reports every broken promise; each hostile shape's
 * result is printed on an {@code IT-HOSTILE} line, the figures on the {@code IT-FIGURES} line. For diagnosis only,
 * {@code -Dhostile.skip=name,name} leaves shapes out (for example one that stops the instance, to see what the others
 * do).
 */
@WithKafka
class HostileInputIT {

    private static final int THREADS = 60;
    private static final int TURNS = 5;
    /** Turns from this one on are produced while the registry is away. */
    private static final int OUTAGE_TURN = 3;

    private static final int PARTITIONS = 3;
    private static final int MAX_IN_FLIGHT = 16;
    private static final int UNKNOWN_SCHEMA_IDS = 2_000;
    /**
     * How long the registry stays away once the outage traffic is produced: longer than the registry client's default
     * retry budget (3 retries waiting 1, 2 and 4 s), so that a decode really fails for want of the registry instead of
     * being carried through by the retries.
     */
    private static final Duration OUTAGE = Duration.ofSeconds(10);

    private static final long MIB = 1024L * 1024L;
    /**
     * Bound on the heap growth (used heap after a full GC, at the end versus after start-up). The failsafe JVM has
     * -Xmx2g and holds the broker too; legitimately retained state here is a few MiB (caches of ids and readers, the
     * pending table's index). 256 MiB is an eighth of the heap: generous against GC noise, yet far below what keeping
     * the ~900 KB records, the 1 MiB answers or one buffer per unknown schema id would cost, and any allocation of a
     * claimed 2e9-byte length would not fit at all.
     */
    private static final long HEAP_GROWTH_BOUND = 256 * MIB;
    /**
     * Bound on the peak of the old generation above its level after start-up (young pools are left out: they fill with
     * garbage by design). Under G1 an object of half a region or more is allocated directly in the old generation, so a
     * buffer sized by a claimed length (2e9 bytes is 1.86 GiB, which can even succeed in a 2 GiB heap) shows here,
     * while normal processing moves at most a few tens of MiB there between collections. 512 MiB is a quarter of the
     * heap.
     */
    private static final long OLD_GEN_PEAK_BOUND = 512 * MIB;

    private static final Set<KafkaStreams.State> GONE = EnumSet.of(
            KafkaStreams.State.PENDING_SHUTDOWN,
            KafkaStreams.State.NOT_RUNNING,
            KafkaStreams.State.PENDING_ERROR,
            KafkaStreams.State.ERROR);

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void shouldDeadLetterEachHostileRecordOnceAndAnswerEveryNormalRequestWithoutLeavingRunning(KafkaCluster kafka)
            throws Exception {
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(Duration.ofMillis(20)))
                .chunks(2)
                .chunkInterval(Duration.ofMillis(5));
        try (ItFixture fx = ItFixture.startWithFixedRegistryPort(kafka, sim, PARTITIONS);
                OutcomeReader reader = new OutcomeReader(fx);
                KafkaProducer<byte[], byte[]> producer = rawProducer(fx);
                CuttableRelay registryLink = new CuttableRelay(fx.registry.port())) {
            SoftAssertions softly = new SoftAssertions();
            AvroSerializer<ChatRequest> serializer =
                    new AvroSerializer<>(fx.registryClient(), AvroSerdeConfig.from(Map.of()), false);
            Function<ChatRequest, byte[]> serialize = r -> serializer.serialize(fx.requests, r);
            String subject = fx.requests + "-value";

            // Given normal conversations, one request with a null key, and the hostile records
            List<ChatRequest> normal = ItFixture.conversations(
                    "calm", THREADS, TURNS, (thread, turn) -> "Turn " + turn + " of thread " + thread);
            ChatRequest nullKeyed = ItFixture.request("calm-null-key-thread", "calm-null-key-r0", "No key, still fine");
            List<ChatRequest> beforeOutage = new ArrayList<>(normal.subList(0, OUTAGE_TURN * THREADS));
            beforeOutage.add(nullKeyed);
            List<ChatRequest> duringOutage = normal.subList(OUTAGE_TURN * THREADS, normal.size());
            List<ChatRequest> all = new ArrayList<>(beforeOutage);
            all.addAll(duringOutage);
            Set<String> allIds = ids(all);

            byte[] sample = serialize.apply(ItFixture.request("ux-sample-thread", "ux-sample", "hello"));
            int requestSchemaId = HostileRecords.schemaIdOf(sample);
            int blobSchemaId = fx.registryClient()
                    .register(
                            subject,
                            HostileRecords.withExtraField(
                                    "blob", HostileRecords.nullable(Schema.Type.BYTES), HostileRecords.nullDefault()));
            List<Hostile> hostile = new ArrayList<>(HostileRecords.invalidRequests(serialize));
            hostile.add(HostileRecords.hugeBadRequest(serialize));
            hostile.addAll(HostileRecords.undecodable(requestSchemaId, blobSchemaId, sample));
            hostile.addAll(bitFlips(fx, sample));
            hostile.addAll(HostileRecords.unknownSchemaIds(sample, UNKNOWN_SCHEMA_IDS));
            Set<String> skipped = Set.of(System.getProperty("hostile.skip", "").split(","));
            hostile.removeIf(h -> skipped.contains(h.name()));
            Collections.shuffle(hostile, new Random(11));

            // the instance reaches the registry through a relay, so that the outage also ends its keep-alive
            // connections
            ChatBridgeApp app = fx.createApp(
                    fx.engine().maxInFlight(MAX_IN_FLIGHT).build(), Map.of("schema.registry.url", registryLink.url()));
            StateLog states = new StateLog();
            app.onStateChange(states::record);
            long start = System.nanoTime();
            app.start();
            await("RUNNING")
                    .atMost(Duration.ofSeconds(60))
                    .pollInSameThread()
                    .until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            long heapBaseline = usedHeapAfterGc();
            long oldGenBaseline = oldGenUsed();
            resetHeapPeaks();

            // When the hostile records arrive among the first turns
            List<Sent> sent = produceInterleaved(producer, fx.requests, beforeOutage, serialize, hostile);
            Matcher matcher = new Matcher(fx.requests, sent);
            boolean firstPartDone = awaitOutcomes(reader, ids(beforeOutage), matcher, states, Duration.ofSeconds(60));

            // and the registry goes away while later turns arrive, written with a schema the service has not seen
            int outageSchemaId = fx.registryClient()
                    .register(
                            subject,
                            HostileRecords.withExtraField(
                                    "outageTag",
                                    HostileRecords.nullable(Schema.Type.STRING),
                                    HostileRecords.nullDefault()));
            String registryUrl = fx.registry.url();
            registryLink.cut();
            fx.registry.close();
            long outageStart = System.nanoTime();
            produce(
                    producer,
                    fx.requests,
                    duringOutage,
                    r -> HostileRecords.framedWithNullExtraField(outageSchemaId, r));
            Set<String> outageIds = ids(duringOutage);
            try {
                await("no dead letter for the requests produced during the outage")
                        .during(OUTAGE)
                        .atMost(OUTAGE.plusSeconds(5))
                        .pollInSameThread()
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> {
                            reader.awaitAll(outageIds, Duration.ofMillis(200));
                            return deadLettered(reader.outcomes(), outageIds).isEmpty();
                        });
            } catch (ConditionTimeoutException e) {
                softly.fail("requests produced during the registry outage were dead-lettered: "
                        + deadLettered(reader.outcomes(), outageIds));
            }
            int answeredDuringOutage = (int) reader.outcomes().stream()
                    .filter(o -> o.requestId() != null && outageIds.contains(o.requestId()))
                    .count();
            printStreamThreads("at the end of the outage");
            // and comes back at the same address with the same schemas
            fx.registry.start();
            long outageMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStart);
            assertThat(fx.registry.url())
                    .as("registry address after the restart")
                    .isEqualTo(registryUrl);
            assertThat(httpStatus(registryUrl + "/schemas/ids/" + outageSchemaId))
                    .as(
                            "the restarted registry still knows schema id %d (EmbeddedSchemaRegistry must keep its store "
                                    + "across close()/start(), or offer a restart with the same store)",
                            outageSchemaId)
                    .isEqualTo(200);
            registryLink.restore();

            // Then everything gets its outcome
            boolean allDone = awaitOutcomes(reader, allIds, matcher, states, Duration.ofSeconds(60));
            long heapAfter = usedHeapAfterGc();
            long heapPeak = heapPeaks();
            long oldGenPeak = oldGenPeak();
            Invariants.printFigures(
                    "HostileInputIT",
                    all.size(),
                    start,
                    fx.simulator,
                    String.format(
                            "hostile=%d unknownSchemaIds=%d heapBaselineMiB=%d heapAfterMiB=%d heapGrowthMiB=%d "
                                    + "heapGrowthBoundMiB=%d heapPoolPeaksMiB=%d oldGenBaselineMiB=%d oldGenPeakMiB=%d "
                                    + "oldGenPeakBoundMiB=%d xmxMiB=%d outageMs=%d outageSchemaId=%d "
                                    + "answeredDuringOutage=%d firstPartDone=%s "
                                    + "allDone=%s states=%s",
                            sent.size(),
                            UNKNOWN_SCHEMA_IDS,
                            heapBaseline / MIB,
                            heapAfter / MIB,
                            (heapAfter - heapBaseline) / MIB,
                            HEAP_GROWTH_BOUND / MIB,
                            heapPeak / MIB,
                            oldGenBaseline / MIB,
                            oldGenPeak / MIB,
                            OLD_GEN_PEAK_BOUND / MIB,
                            Runtime.getRuntime().maxMemory() / MIB,
                            outageMillis,
                            outageSchemaId,
                            answeredDuringOutage,
                            firstPartDone,
                            allDone,
                            states.transitions()));
            states.closing();
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));
            List<Outcome> outcomes = reader.outcomes();

            // the instance never left RUNNING once it got there
            softly.assertThat(states.afterFirstRunning())
                    .as("state transitions after the first RUNNING (all: %s)", states.transitions())
                    .isEmpty();
            // every normal request: exactly one outcome, a response, in thread order; the API saw them in order
            List<Outcome> normalOutcomes = outcomes.stream()
                    .filter(o -> o.requestId() != null && allIds.contains(o.requestId()))
                    .toList();
            softly.check(() -> Invariants.assertExactlyOneOutcomeEach(all, normalOutcomes));
            softly.check(() -> Invariants.assertOutcomeOrderPerThread(all, normalOutcomes));
            softly.check(() -> Invariants.assertApiOrderPerThread(all, fx.simulator));
            softly.check(() -> Invariants.assertConcurrency(fx.simulator, MAX_IN_FLIGHT, true));
            softly.assertThat(deadLettered(normalOutcomes, allIds))
                    .as("normal requests dead-lettered")
                    .isEmpty();
            // every hostile record: exactly one dead letter with the expected reason, and nothing else
            Map<Integer, List<Outcome>> byHostile = new HashMap<>();
            List<String> unaccounted = new ArrayList<>();
            for (Outcome o : outcomes) {
                int index = matcher.indexOf(o);
                if (index >= 0) {
                    byHostile.computeIfAbsent(index, k -> new ArrayList<>()).add(o);
                } else if (o.requestId() == null || !allIds.contains(o.requestId())) {
                    unaccounted.add(describe(o));
                }
            }
            Map<String, Map<String, Integer>> verdicts = new TreeMap<>();
            List<String> wrongOutcome = new ArrayList<>();
            List<String> wrongDetail = new ArrayList<>();
            for (int i = 0; i < sent.size(); i++) {
                Sent s = sent.get(i);
                Verdict v = verdict(s, byHostile.getOrDefault(i, List.of()));
                if (v.core() != null) {
                    wrongOutcome.add(s.hostile().name() + ": " + v.core());
                }
                if (v.detail() != null) {
                    wrongDetail.add(s.hostile().name() + ": " + v.detail());
                }
                String group = s.hostile().name().startsWith("unknown-schema-id-")
                        ? "unknown-schema-id (x" + UNKNOWN_SCHEMA_IDS + ")"
                        : s.hostile().name() + " @" + s.partition() + "-" + s.offset();
                verdicts.computeIfAbsent(group, k -> new TreeMap<>()).merge(v.summary(), 1, Integer::sum);
                if (!s.hostile().name().startsWith("unknown-schema-id-")) {
                    for (Outcome o : byHostile.getOrDefault(i, List.of())) {
                        System.out.println("IT-HOSTILE-OUTCOME " + s.hostile().name() + ": " + details(o));
                    }
                }
            }
            verdicts.forEach((group, counts) -> System.out.println("IT-HOSTILE " + group + ": " + counts));
            softly.assertThat(wrongOutcome.subList(0, Math.min(40, wrongOutcome.size())))
                    .as(
                            "hostile records without exactly one dead letter of the expected reason (%d of %d; first 40)",
                            wrongOutcome.size(), sent.size())
                    .isEmpty();
            softly.assertThat(wrongDetail.subList(0, Math.min(40, wrongDetail.size())))
                    .as(
                            "hostile dead letters whose rawValueSize, rawValue or omitted are wrong (%d of %d; first 40)",
                            wrongDetail.size(), sent.size())
                    .isEmpty();
            softly.assertThat(unaccounted).as("outcomes of no input record").isEmpty();
            softly.assertThat(heapAfter - heapBaseline)
                    .as("heap growth in bytes (baseline %d MiB, after %d MiB)", heapBaseline / MIB, heapAfter / MIB)
                    .isLessThan(HEAP_GROWTH_BOUND);
            softly.assertThat(oldGenPeak - oldGenBaseline)
                    .as(
                            "old generation peak above its baseline, in bytes " + "(baseline %d MiB, peak %d MiB)",
                            oldGenBaseline / MIB, oldGenPeak / MIB)
                    .isLessThan(OLD_GEN_PEAK_BOUND);
            softly.assertAll();
        }
    }

    /** One hostile record as acknowledged by the broker. */
    record Sent(Hostile hostile, int partition, long offset) {}

    /** Finds the hostile record an outcome belongs to: by requestId prefix, else by source coordinates. */
    private static final class Matcher {
        private final String topic;
        private final Map<String, Integer> byPrefix = new LinkedHashMap<>();
        private final Map<String, Integer> byCoordinates = new HashMap<>();

        Matcher(String topic, List<Sent> sent) {
            this.topic = topic;
            for (int i = 0; i < sent.size(); i++) {
                Sent s = sent.get(i);
                if (s.hostile().decodable()) {
                    byPrefix.put(s.hostile().requestIdPrefix(), i);
                }
                byCoordinates.put(s.partition() + "@" + s.offset(), i);
            }
        }

        int indexOf(Outcome o) {
            String requestId = o.requestId();
            if (requestId != null) {
                for (Map.Entry<String, Integer> e : byPrefix.entrySet()) {
                    if (requestId.startsWith(e.getKey())) {
                        return e.getValue();
                    }
                }
            }
            ChatDeadLetter dl = o.deadLetter();
            if (dl != null
                    && topic.equals(dl.getSourceTopic())
                    && dl.getSourcePartition() != null
                    && dl.getSourceOffset() != null) {
                Integer i = byCoordinates.get(dl.getSourcePartition() + "@" + dl.getSourceOffset());
                return i == null ? -1 : i;
            }
            return -1;
        }

        int matched(List<Outcome> outcomes) {
            return (int) outcomes.stream()
                    .mapToInt(this::indexOf)
                    .filter(i -> i >= 0)
                    .distinct()
                    .count();
        }

        int size() {
            return byCoordinates.size();
        }
    }

    /** Every state transition of the instance, and whether the test has begun closing it. */
    private static final class StateLog {
        private final List<String> transitions = new CopyOnWriteArrayList<>();
        private final List<String> afterRunning = new CopyOnWriteArrayList<>();
        private final AtomicBoolean reachedRunning = new AtomicBoolean();
        private final AtomicBoolean closing = new AtomicBoolean();
        private final AtomicReference<KafkaStreams.State> current = new AtomicReference<>(KafkaStreams.State.CREATED);

        void record(KafkaStreams.State now, KafkaStreams.State before) {
            current.set(now);
            transitions.add(before + "->" + now);
            if (reachedRunning.get() && !closing.get()) {
                afterRunning.add(before + "->" + now);
            }
            if (now == KafkaStreams.State.RUNNING) {
                reachedRunning.set(true);
            }
        }

        void closing() {
            closing.set(true);
        }

        boolean gone() {
            return GONE.contains(current.get());
        }

        List<String> transitions() {
            return List.copyOf(transitions);
        }

        List<String> afterFirstRunning() {
            return List.copyOf(afterRunning);
        }
    }

    /**
     * Polls until every id has an outcome and every hostile record a matching one, the instance is gone (then reads one
     * more second of committed output), or the timeout passes.
     */
    private static boolean awaitOutcomes(
            OutcomeReader reader, Set<String> ids, Matcher matcher, StateLog states, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            boolean idsDone = reader.awaitAll(ids, Duration.ofMillis(300));
            if (idsDone && matcher.matched(reader.outcomes()) == matcher.size()) {
                return true;
            }
            if (idsDone) {
                reader.pollOnce(); // awaitAll polls only while a request id is missing; dead letters may still come
            }
            if (states.gone()) {
                reader.awaitAll(ids, Duration.ofSeconds(1));
                return false;
            }
        }
        return false;
    }

    /**
     * Why the outcomes of one hostile record break the contract: {@code core} (not exactly one dead letter, or the
     * wrong reason) and {@code detail} (the dead letter's size and omission fields); each null when kept.
     */
    record Verdict(String core, String detail) {
        String summary() {
            return core == null && detail == null
                    ? "ok"
                    : Stream.of(core, detail).filter(Objects::nonNull).collect(Collectors.joining("; "));
        }
    }

    private static Verdict verdict(Sent s, List<Outcome> got) {
        Hostile h = s.hostile();
        if (got.isEmpty()) {
            return new Verdict("no outcome", null);
        }
        if (got.size() > 1) {
            return new Verdict(
                    got.size() + " outcomes: "
                            + got.stream().map(HostileInputIT::describe).toList(),
                    null);
        }
        Outcome o = got.get(0);
        ChatDeadLetter dl = o.deadLetter();
        if (dl == null) {
            return new Verdict("answered with a ChatResponse, expected " + h.expected(), null);
        }
        String core = dl.getReason() == h.expected()
                ? null
                : "reason " + dl.getReason() + " (expected " + h.expected() + ", message: " + excerpt(dl.getMessage())
                        + ")";
        List<String> wrong = new ArrayList<>();
        Integer expectedSize = h.value() == null ? null : h.value().length;
        if (h.expected() != DeadLetterReason.BAD_REQUEST && !Objects.equals(dl.getRawValueSize(), expectedSize)) {
            wrong.add("rawValueSize " + dl.getRawValueSize() + " (expected " + expectedSize + ")");
        }
        List<String> omitted = dl.getOmitted().stream().map(String::valueOf).toList();
        if (h.decodable()
                && h.expected() == DeadLetterReason.INVALID_REQUEST
                && dl.getRequest() == null
                && !omitted.contains("request")) {
            wrong.add("no request and omitted " + omitted + " does not say so");
        }
        if (!h.decodable() && h.value() != null && dl.getRawValue() == null && !omitted.contains("rawValue")) {
            wrong.add("no rawValue and omitted " + omitted + " does not say so");
        }
        if (!h.decodable() && dl.getRawValue() != null && !dl.getRawValue().equals(ByteBuffer.wrap(h.value()))) {
            wrong.add("rawValue differs from the input value");
        }
        if (h.expected() == DeadLetterReason.BAD_REQUEST) {
            if (!Integer.valueOf(400).equals(dl.getHttpStatus())) {
                wrong.add("httpStatus " + dl.getHttpStatus());
            }
            if (dl.getProblem() == null && omitted.stream().noneMatch(x -> x.startsWith("problem"))) {
                wrong.add("no problem and omitted " + omitted + " does not say so");
            }
        }
        return new Verdict(core, wrong.isEmpty() ? null : String.join("; ", wrong));
    }

    /** The fields of an outcome that say what was kept of a hostile record, for the report. */
    private static String details(Outcome o) {
        if (o.isResponse()) {
            return describe(o);
        }
        ChatDeadLetter dl = o.deadLetter();
        return String.format(
                "%s requestIdChars=%s threadIdChars=%s request=%s rawValue=%s rawValueSize=%s omitted=%s "
                        + "httpStatus=%s problemErrors=%s problemExtensionsChars=%s messageChars=%d message=%s",
                dl.getReason(),
                dl.getRequestId() == null ? null : dl.getRequestId().length(),
                dl.getThreadId() == null ? null : dl.getThreadId().length(),
                dl.getRequest() != null,
                dl.getRawValue() == null ? null : dl.getRawValue().remaining(),
                dl.getRawValueSize(),
                dl.getOmitted(),
                dl.getHttpStatus(),
                dl.getProblem() == null || dl.getProblem().getErrors() == null
                        ? null
                        : dl.getProblem().getErrors().size(),
                dl.getProblem() == null || dl.getProblem().getExtensionsJson() == null
                        ? null
                        : dl.getProblem().getExtensionsJson().length(),
                dl.getMessage().length(),
                excerpt(dl.getMessage()));
    }

    private static String describe(Outcome o) {
        if (o.isResponse()) {
            return "response " + excerpt(o.requestId()) + " at " + o.topic() + "-" + o.partition() + "@" + o.offset();
        }
        ChatDeadLetter dl = o.deadLetter();
        return "dead letter " + dl.getReason() + " requestId=" + excerpt(o.requestId()) + " source="
                + dl.getSourcePartition() + "@" + dl.getSourceOffset() + " message=" + excerpt(dl.getMessage());
    }

    private static String excerpt(String s) {
        if (s == null) {
            return null;
        }
        String printable = s.replaceAll("\\p{Cntrl}", "?");
        return printable.length() > 120 ? printable.substring(0, 120) + "...(" + s.length() + " chars)" : printable;
    }

    private static Map<String, String> deadLettered(List<Outcome> outcomes, Set<String> ids) {
        return outcomes.stream()
                .filter(o -> !o.isResponse() && o.requestId() != null && ids.contains(o.requestId()))
                .collect(Collectors.toMap(
                        Outcome::requestId,
                        o -> String.valueOf(o.deadLetter().getReason()),
                        (a, b) -> a + "," + b,
                        TreeMap::new));
    }

    /**
     * Two single-bit flips that make {@code valid} undecodable, each checked with our own deserializer: the top bit of
     * the requestId's length varint (the length then runs on into the following bytes and overruns the record), and bit
     * 2 of the last byte, the union index of {@code createdAt} (0 becomes 4, a branch the union does not have).
     */
    private static List<Hostile> bitFlips(ItFixture fx, byte[] valid) {
        AvroDeserializer<ChatRequest> local = new AvroDeserializer<>(ChatRequest.class, fx.registryClient());
        List<Hostile> flips = List.of(
                HostileRecords.bitFlipped("bit-flip-in-request-id-length", valid, 5, 7),
                HostileRecords.bitFlipped("bit-flip-in-union-index", valid, valid.length - 1, 2));
        for (Hostile h : flips) {
            try {
                ChatRequest decoded = local.deserialize(fx.requests, h.value());
                throw new AssertionError("the bit flip " + h.name() + " still decodes, as " + decoded);
            } catch (RuntimeException expected) {
                // undecodable, as wanted
            }
        }
        return flips;
    }

    /** Where the instance's stream threads are (top frames), for the report: are they waiting for the registry? */
    private static void printStreamThreads(String when) {
        Thread.getAllStackTraces().forEach((thread, frames) -> {
            if (thread.getName().contains("StreamThread")) {
                StringBuilder line = new StringBuilder("IT-STREAM-THREAD " + when + ": " + thread.getState());
                for (int i = 0; i < Math.min(12, frames.length); i++) {
                    line.append(" <- ")
                            .append(frames[i].getClassName())
                            .append('.')
                            .append(frames[i].getMethodName());
                }
                System.out.println(line);
            }
        });
    }

    private static KafkaProducer<byte[], byte[]> rawProducer(ItFixture fx) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fx.kafka.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
                        ProducerConfig.LINGER_MS_CONFIG, 5,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /**
     * Produces the normal requests (keyed by thread, except the null-key one) with the hostile records spread evenly
     * between them, and returns where each hostile record landed.
     */
    private static List<Sent> produceInterleaved(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            List<ChatRequest> normal,
            Function<ChatRequest, byte[]> serialize,
            List<Hostile> hostile)
            throws Exception {
        List<Future<RecordMetadata>> normalAcks = new ArrayList<>();
        List<Future<RecordMetadata>> hostileAcks = new ArrayList<>();
        int n = normal.size();
        int h = hostile.size();
        for (int i = 0, j = 0; i < n || j < h; ) {
            if (j < h && (i >= n || (long) j * n <= (long) i * h)) {
                Hostile x = hostile.get(j++);
                hostileAcks.add(producer.send(new ProducerRecord<>(topic, x.key(), x.value())));
            } else {
                ChatRequest r = normal.get(i++);
                normalAcks.add(producer.send(new ProducerRecord<>(topic, keyOf(r), serialize.apply(r))));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> f : normalAcks) {
            f.get(30, TimeUnit.SECONDS);
        }
        List<Sent> sent = new ArrayList<>(h);
        for (int j = 0; j < h; j++) {
            RecordMetadata m = hostileAcks.get(j).get(30, TimeUnit.SECONDS);
            sent.add(new Sent(hostile.get(j), m.partition(), m.offset()));
        }
        return sent;
    }

    /** Produces {@code requests} keyed by thread with the given encoding and waits for every ack. */
    private static void produce(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            List<ChatRequest> requests,
            Function<ChatRequest, byte[]> encode)
            throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (ChatRequest r : requests) {
            acks.add(producer.send(new ProducerRecord<>(topic, keyOf(r), encode.apply(r))));
        }
        producer.flush();
        for (Future<RecordMetadata> f : acks) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    private static byte[] keyOf(ChatRequest r) {
        return r.getRequestId().startsWith("calm-null-key")
                ? null
                : r.getThreadId().getBytes(StandardCharsets.UTF_8);
    }

    private static Set<String> ids(List<ChatRequest> requests) {
        return requests.stream().map(ChatRequest::getRequestId).collect(Collectors.toSet());
    }

    private static int httpStatus(String url) throws Exception {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }

    /** Used heap after full collections (System.gc() is a full, stop-the-world collection with G1). */
    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void resetHeapPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static boolean isOldGen(MemoryPoolMXBean pool) {
        return pool.getType() == MemoryType.HEAP
                && !pool.getName().contains("Eden")
                && !pool.getName().contains("Survivor");
    }

    private static long oldGenUsed() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(HostileInputIT::isOldGen)
                .mapToLong(p -> p.getUsage().getUsed())
                .sum();
    }

    private static long oldGenPeak() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(HostileInputIT::isOldGen)
                .mapToLong(p -> p.getPeakUsage().getUsed())
                .sum();
    }

    /** Sum of the heap pools' peak usage since the reset (garbage included: an upper bound, for the report). */
    private static long heapPeaks() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
