package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.Main;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.cli.CliContext;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.PendingChangelog;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code chat-bridge reset} against the shared broker, called in-process through its picocli entry: it refuses while
 * instances run and while the pending table holds accepted requests (naming how many, per partition), {@code --force}
 * resets anyway, {@code --dry-run} changes nothing, and a reset of a drained application rewinds the group's input
 * offsets and deletes the internal topics, so that a new instance answers everything again. One run in a separate JVM
 * whose class path has no broker, Raft, storage, coordinator, Connect or Scala jar, nor any other jar the kafka-tools
 * dependency excludes, shows that Kafka's tool needs none of them.
 */
@WithKafka
class ResetIT {

    private static final int PARTITIONS = 2;
    private static final int REQUESTS = 6;
    /** What the service jar leaves out, and what the kafka-tools dependency excludes besides. */
    private static final Pattern NOT_IN_SERVICE_JAR = Pattern.compile(
            "/(kafka_2\\.13|kafka-server|kafka-raft|kafka-metadata|kafka-storage[^/]*|kafka-[a-z-]*coordinator[^/]*"
                    + "|connect-[^/]*|scala-[^/]*|scala-logging_2\\.13"
                    + "|kafka-tools-api|argparse4j|re2j|jose4j|jackson-dataformat-csv|metrics-core|pcollections)"
                    + "/[^/]+/[^/]+\\.jar$");

    private final ChildJvms jvms = new ChildJvms();

    @AfterEach
    void killChildren() throws InterruptedException {
        jvms.killAll();
    }

    /** One in-process run of the command line: exit code and what it printed. */
    private record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Run reset(ItFixture fx, String... options) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliContext context = new CliContext(
                Map.of(),
                new ByteArrayInputStream(new byte[0]),
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                false);
        List<String> args = new ArrayList<>(List.of(
                "reset",
                "--bootstrap-servers",
                fx.kafka.bootstrapServers(),
                "--set",
                "application.id=" + fx.applicationId,
                "--set",
                "chat.topics.requests=" + fx.requests,
                // A client setting, so that the tool gets its --command-config file.
                "--set",
                "client.id=reset-it"));
        args.addAll(List.of(options));
        int code = Main.execute(context, args.toArray(String[]::new));
        Run run = new Run(code, out.toString(), err.toString());
        System.out.println(
                "reset " + String.join(" ", options) + " -> " + code + "\n--- out\n" + run.out + "--- err\n" + run.err);
        return run;
    }

    private static ChatBridgeApp startApp(ItFixture fx, EngineConfig engine, Duration drain) {
        return startApp(fx, engine, drain, fx.newStateDir());
    }

    private static ChatBridgeApp startApp(ItFixture fx, EngineConfig engine, Duration drain, Path stateDir) {
        ChatBridgeApp app = ChatBridgeApp.create(new ChatBridgeApp.Settings(
                        fx.streamsProps(stateDir), engine, fx.client(engine.maxInFlight()), fx.serdeConfigs(), drain))
                .start();
        await("RUNNING")
                .atMost(Duration.ofSeconds(60))
                .until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
        return app;
    }

    /** Waits until every request has two outcomes: one from before the reset and one from after it. */
    private static void awaitEachAnsweredTwice(OutcomeReader reader, List<String> ids) {
        await("second answers")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(1))
                .until(() -> {
                    reader.pollOnce();
                    Map<String, Long> perId = reader.outcomes().stream()
                            .collect(Collectors.groupingBy(OutcomeReader.Outcome::requestId, Collectors.counting()));
                    return ids.stream().allMatch(id -> perId.getOrDefault(id, 0L) == 2);
                });
    }

    private static List<ChatRequest> oneRequestPerThread(String prefix) {
        return ItFixture.conversations(prefix, REQUESTS, 1, (thread, turn) -> "Hello from thread " + thread);
    }

    /** The group's committed offsets on the input topic, by partition. */
    private static Map<Integer, Long> inputOffsets(ItFixture fx) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = fx.kafka
                .adminClient()
                .listConsumerGroupOffsets(fx.applicationId)
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        Map<Integer, Long> offsets = new TreeMap<>();
        committed.forEach((tp, om) -> {
            if (tp.topic().equals(fx.requests) && om != null) {
                offsets.put(tp.partition(), om.offset());
            }
        });
        return offsets;
    }

    private static Map<Integer, Long> inputEnds(ItFixture fx) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(fx.requests, p), OffsetSpec.latest());
        }
        Map<Integer, Long> ends = new TreeMap<>();
        fx.kafka
                .adminClient()
                .listOffsets(latest)
                .all()
                .get(30, TimeUnit.SECONDS)
                .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        return ends;
    }

    private static boolean topicExists(KafkaCluster kafka, String topic) throws Exception {
        return kafka.adminClient()
                .listTopics()
                .names()
                .get(30, TimeUnit.SECONDS)
                .contains(topic);
    }

    private static Map<Integer, Long> zeros() {
        Map<Integer, Long> zeros = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            zeros.put(p, 0L);
        }
        return zeros;
    }

    private static long leftoverConfigFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(f -> f.getFileName().toString().startsWith("chat-bridge-reset-"))
                    .count();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRefuseWhileRunningAndWhileRequestsArePendingAndResetWithForce(KafkaCluster kafka) throws Exception {
        // Given an API that holds every call for two minutes, and an instance that accepted six requests
        SimulatorConfig.Builder sim = SimulatorConfig.builder().latency(LatencyModel.fixed(Duration.ofSeconds(120)));
        try (ItFixture fx = ItFixture.start(kafka, sim, PARTITIONS)) {
            EngineConfig engine = fx.engine().maxInFlight(4).build();
            List<ChatRequest> input = oneRequestPerThread("held");
            ChatBridgeApp app = startApp(fx, engine, Duration.ofMillis(500));
            String changelog = PendingChangelog.topic(fx.applicationId);
            try {
                fx.produce(input);
                await("six requests pending, four in flight")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> app.resources().pending().get() == REQUESTS
                                && fx.simulator.stats().currentConcurrent() == 4);

                // When reset runs while the instance is still in the group
                Run running = reset(fx);

                // Then Kafka's tool refuses with its own message, and nothing changes
                assertThat(running.code())
                        .as("exit code while an instance runs")
                        .isEqualTo(1);
                assertThat(running.err())
                        .contains("Consumer group '" + fx.applicationId + "' is still active")
                        .contains("active member(s): chat-bridge instances are running, so nothing was reset");
                assertThat(topicExists(kafka, changelog))
                        .as("changelog after the refusal")
                        .isTrue();
            } finally {
                app.close();
            }
            Map<Integer, Long> before = inputOffsets(fx);
            assertThat(before).as("offsets committed by the stopped instance").isEqualTo(inputEnds(fx));

            // When reset runs after the instance stopped with six requests unanswered
            Run pending = reset(fx);

            // Then it refuses with its own exit code, naming how many requests wait in which partition
            Map<Integer, Long> expected = input.stream()
                    .collect(Collectors.groupingBy(
                            r -> BuiltInPartitioner.partitionForKey(
                                    r.getThreadId().getBytes(StandardCharsets.UTF_8), PARTITIONS),
                            TreeMap::new,
                            Collectors.counting()));
            String partitions = expected.entrySet().stream()
                    .map(e -> "partition " + e.getKey() + ": " + e.getValue())
                    .collect(Collectors.joining(", "));
            assertThat(pending.code()).as("exit code with pending requests").isEqualTo(3);
            assertThat(pending.err())
                    .contains("holds 6 accepted requests without an outcome yet (" + partitions)
                    .contains("--force");
            assertThat(pending.out()).doesNotContain("Running Kafka's Streams reset tool");
            assertThat(inputOffsets(fx)).as("offsets after the refusal").isEqualTo(before);
            assertThat(topicExists(kafka, changelog))
                    .as("changelog after the refusal")
                    .isTrue();
            // A dry run is refused the same way: it previews the real outcome.
            assertThat(reset(fx, "--dry-run").code()).isEqualTo(3);

            // When reset runs with --force
            long filesBefore = leftoverConfigFiles();
            Run forced = reset(fx, "--force");

            // Then it warns, and the group is back at the beginning and the changelog is gone
            assertThat(forced.code()).as("exit code with --force").isZero();
            assertThat(forced.err()).contains("--force: resetting although the pending table holds 6");
            assertThat(forced.out()).contains("Deleting inferred internal topics [" + changelog + "]");
            assertThat(inputOffsets(fx)).as("offsets after reset --force").isEqualTo(zeros());
            await("changelog deleted").atMost(Duration.ofSeconds(15)).until(() -> !topicExists(kafka, changelog));
            assertThat(leftoverConfigFiles())
                    .as("tool config files left in the temp dir")
                    .isEqualTo(filesBefore);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldAnswerAgainAfterAResetWhenStartedOnItsOldStateDirectory(KafkaCluster kafka) throws Exception {
        // Given an instance that keys by the input's own key (no repartition topic, so the input topic keeps its id
        // through the reset) answered six requests and stopped, keeping its state directory
        SimulatorConfig.Builder sim = SimulatorConfig.builder().latency(LatencyModel.fixed(Duration.ofMillis(20)));
        try (ItFixture fx = ItFixture.start(kafka, sim, PARTITIONS);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine().maxInFlight(4).build();
            List<ChatRequest> input = oneRequestPerThread("kept-state");
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            Path stateDir = fx.newStateDir();
            ChatBridgeApp first = startApp(fx, engine, Duration.ofSeconds(5), stateDir);
            fx.produce(input);
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(60)))
                    .as("first answers")
                    .isTrue();
            first.close();

            // When the application is reset
            assertThat(reset(fx).code()).as("exit code of reset").isZero();
            String changelog = PendingChangelog.topic(fx.applicationId);
            await("changelog deleted").atMost(Duration.ofSeconds(15)).until(() -> !topicExists(kafka, changelog));

            // Then an instance on the same state directory (whose pending table still holds the first run's
            // high-water marks) answers every request again: it deletes the state that predates the reset
            ChatBridgeApp second = startApp(fx, engine, Duration.ofSeconds(5), stateDir);
            try {
                awaitEachAnsweredTwice(reader, ids);
            } finally {
                second.close();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldChangeNothingOnDryRunAndRewindADrainedApplicationSoThatItAnswersAgain(KafkaCluster kafka)
            throws Exception {
        // Given a REKEY instance (a repartition topic too) that answered six requests and stopped
        SimulatorConfig.Builder sim = SimulatorConfig.builder().latency(LatencyModel.fixed(Duration.ofMillis(20)));
        try (ItFixture fx = ItFixture.start(kafka, sim, PARTITIONS);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine()
                    .inputKeying(EngineConfig.InputKeying.REKEY)
                    .maxInFlight(4)
                    .build();
            List<ChatRequest> input = oneRequestPerThread("drained");
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            String changelog = PendingChangelog.topic(fx.applicationId);
            String repartition = fx.applicationId + "-by-thread-repartition";
            Path stateDir = fx.newStateDir();
            ChatBridgeApp first = startApp(fx, engine, Duration.ofSeconds(5), stateDir);
            fx.produce(input);
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(60)))
                    .as("first answers")
                    .isTrue();
            first.close();
            Map<Integer, Long> ends = inputEnds(fx);
            assertThat(inputOffsets(fx)).isEqualTo(ends);

            // When a dry run of the reset runs
            Run dry = reset(fx, "--dry-run");

            // Then it shows the plan, and offsets and topics are as they were
            assertThat(dry.code()).as("exit code of --dry-run").isZero();
            assertThat(dry.out())
                    .contains("no accepted request waits for an outcome")
                    .contains("Dry run displays the actions")
                    .doesNotContain("Reset of " + fx.applicationId + " done");
            assertThat(dry.out().lines().filter(l -> l.startsWith("Deleting inferred internal topics [")))
                    .singleElement()
                    .asString()
                    .contains(repartition)
                    .contains(changelog);
            assertThat(inputOffsets(fx)).as("offsets after the dry run").isEqualTo(ends);
            assertThat(topicExists(kafka, changelog))
                    .as("changelog after the dry run")
                    .isTrue();
            assertThat(topicExists(kafka, repartition))
                    .as("repartition topic after the dry run")
                    .isTrue();

            // When the reset runs
            Run done = reset(fx);

            // Then the group is at the beginning of the input and both internal topics are gone
            assertThat(done.code()).as("exit code of reset").isZero();
            assertThat(done.out())
                    .contains("Reset of " + fx.applicationId + " done")
                    .contains("deletes a kept state");
            assertThat(inputOffsets(fx)).as("offsets after reset").isEqualTo(zeros());
            await("internal topics deleted")
                    .atMost(Duration.ofSeconds(15))
                    .until(() -> !topicExists(kafka, changelog) && !topicExists(kafka, repartition));

            // and an instance started on the old state directory (its pending table still holds the high-water
            // marks of the first run) answers every request again: it deletes the state that predates the reset
            ChatBridgeApp second = startApp(fx, engine, Duration.ofSeconds(5), stateDir);
            try {
                awaitEachAnsweredTwice(reader, ids);
            } finally {
                second.close();
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldResetFromAClassPathWithoutBrokerRaftStorageCoordinatorConnectOrScalaJars(KafkaCluster kafka)
            throws Exception {
        // Given an application whose group read three records and whose changelog holds only finished entries
        String app = kafka.uniqueName("app");
        String input = kafka.createUniqueTopic("requests", PARTITIONS);
        String changelog = PendingChangelog.topic(app);
        kafka.createTopics(Map.of(changelog, PARTITIONS));
        byte[] entry = pendingKey("t1", 0);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(input, 0, null, new byte[] {1}))
                        .get(30, TimeUnit.SECONDS);
            }
            producer.send(new ProducerRecord<>(changelog, 0, entry, new byte[] {2}))
                    .get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(changelog, 0, entry, null)).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(changelog, 1, highWaterMarkKey(), new byte[8]))
                    .get(30, TimeUnit.SECONDS);
        }
        Admin admin = kafka.adminClient();
        admin.alterConsumerGroupOffsets(app, Map.of(new TopicPartition(input, 0), new OffsetAndMetadata(3)))
                .all()
                .get(30, TimeUnit.SECONDS);

        // When reset runs in a JVM on the test class path without the jars the service jar leaves out
        String full = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> kept = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String element : full.split(File.pathSeparator)) {
            (NOT_IN_SERVICE_JAR.matcher(element.replace('\\', '/')).find() ? dropped : kept).add(element);
        }
        assertThat(dropped)
                .as("jars left out")
                .anyMatch(j -> j.contains("kafka_2.13"))
                .anyMatch(j -> j.contains("scala-library"))
                .anyMatch(j -> j.contains("kafka-server-4"))
                .anyMatch(j -> j.contains("kafka-raft"))
                .anyMatch(j -> j.contains("argparse4j"))
                .anyMatch(j -> j.contains("kafka-tools-api"));
        assertThat(kept)
                .as("jars kept")
                .anyMatch(j -> j.contains("kafka-tools-4"))
                .anyMatch(j -> j.contains("kafka-server-common-4"))
                .anyMatch(j -> j.contains("jopt-simple"))
                .noneMatch(
                        j -> j.contains("kafka_2.13") || j.contains("scala-library") || j.contains("kafka-metadata"));
        Process process = jvms.launchWithClassPath(
                String.join(File.pathSeparator, kept),
                Main.class,
                List.of(
                        "reset",
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--set",
                        "application.id=" + app,
                        "--set",
                        "chat.topics.requests=" + input,
                        "--set",
                        "request.timeout.ms=20000"),
                "reset-service-classpath");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("reset finished").isTrue();
        String out = Files.readString(ChildJvms.OUT.resolve("reset-service-classpath.out"));
        String err = Files.readString(ChildJvms.OUT.resolve("reset-service-classpath.err"));
        System.out.println("--- child out\n" + out + "--- child err\n" + err);

        // Then it resets: offsets at the beginning, the changelog gone
        assertThat(process.exitValue())
                .as("exit code of reset on the service class path")
                .isZero();
        assertThat(err).doesNotContain("NoClassDefFoundError").doesNotContain("ClassNotFoundException");
        assertThat(out).contains("no accepted request waits").contains("Reset of " + app + " done");
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(app)
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        assertThat(offsets.get(new TopicPartition(input, 0)).offset()).isZero();
        await("changelog deleted").atMost(Duration.ofSeconds(15)).until(() -> !topicExists(kafka, changelog));
    }

    /** A pending-table key as the engine writes it: [4-byte length][thread key UTF-8][8-byte sequence]. */
    private static byte[] pendingKey(String thread, long sequence) {
        byte[] t = thread.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + t.length + 8)
                .putInt(t.length)
                .put(t)
                .putLong(sequence)
                .array();
    }

    /** The high-water mark's key: a thread key of NUL + "high-water-mark", sequence 0. */
    private static byte[] highWaterMarkKey() {
        byte[] key = pendingKey("\u0000high-water-mark", 0);
        assertThat(PendingChangelog.isHighWaterMark(key))
                .as("the engine's high-water-mark key")
                .isTrue();
        return key;
    }
}
