package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The reset command without Kafka: option mapping, the tool's client settings, its output and its exit. */
@Timeout(60)
class ResetCommandTest {

    private static final ResetCommand.Subject SUBJECT =
            new ResetCommand.Subject("k1:9092,k2:9092", "chat-bridge", "chat-requests", Map.of());

    private static ResetCommand parse(String... args) {
        CliContext context = new CliContext(
                Map.of(),
                new ByteArrayInputStream(new byte[0]),
                new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()),
                false);
        ResetCommand command = new ResetCommand(context);
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private static List<String> toolArgs(String... args) {
        ResetCommand command = parse(args);
        return command.toolArguments(SUBJECT, command.target(), command.dryRun, List.of(), null);
    }

    @Test
    void shouldResetToEarliestByDefaultAndNeverPassTheToolsForce() {
        assertThat(toolArgs())
                .containsExactly(
                        "--bootstrap-server",
                        "k1:9092,k2:9092",
                        "--application-id",
                        "chat-bridge",
                        "--input-topics",
                        "chat-requests",
                        "--to-earliest");
        assertThat(toolArgs("--force")).doesNotContain("--force").contains("--to-earliest");
    }

    @Test
    void shouldMapEachPositionToTheToolsFlag() {
        assertThat(toolArgs("--to-earliest")).endsWith("--to-earliest");
        assertThat(toolArgs("--to-latest")).endsWith("--to-latest");
        assertThat(toolArgs("--to-datetime", "2025-01-31T08:00:00.000"))
                .endsWith("--to-datetime", "2025-01-31T08:00:00.000");
        assertThat(toolArgs("--to-datetime", "2025-01-31T08:00:00.000Z"))
                .endsWith("--to-datetime", "2025-01-31T08:00:00.000Z");
        assertThat(toolArgs("--by-duration", "PT2H")).endsWith("--by-duration", "PT2H");
    }

    @Test
    void shouldPassDryRunInternalTopicsAndTheCommandConfigFile() {
        ResetCommand command = parse("--dry-run", "--to-latest");
        List<String> args = command.toolArguments(
                SUBJECT,
                command.target(),
                command.dryRun,
                List.of("chat-bridge-by-thread-repartition", "chat-bridge-pending-requests-changelog"),
                Path.of("/tmp/x.properties"));

        assertThat(args)
                .containsSubsequence(
                        "--to-latest",
                        "--internal-topics",
                        "chat-bridge-by-thread-repartition,chat-bridge-pending-requests-changelog",
                        "--command-config",
                        "/tmp/x.properties",
                        "--dry-run");
        assertThat(args).doesNotContain("--config-file", "--force");
    }

    @Test
    void shouldRejectTwoPositionsAndValuesTheToolCouldNotRead() {
        assertThatThrownBy(() -> parse("--to-earliest", "--to-latest"))
                .isInstanceOf(CommandLine.MutuallyExclusiveArgsException.class);
        assertThatThrownBy(() -> parse("--to-datetime", "yesterday").target())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("YYYY-MM-DDTHH:mm:SS.sss");
        assertThatThrownBy(() -> parse("--by-duration", "2h").target())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PnDTnHnMnS");
        assertThatThrownBy(() -> parse("--by-duration", "-PT2H").target())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
    }

    @Test
    void shouldGiveTheToolTheClientAndSecuritySettingsOnly() {
        Map<String, String> kafka = Map.of(
                "bootstrap.servers", "k:9092",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s\";",
                "ssl.truststore.location", "/etc/kafka/truststore.p12",
                "request.timeout.ms", "20000",
                "application.id", "chat-bridge",
                "state.dir", "/var/lib/chat-bridge/state",
                "schema.registry.url", "https://registry:8081",
                "num.stream.threads", "2");

        assertThat(StreamsResetterArgs.clientSettings(kafka))
                .containsOnlyKeys(
                        "security.protocol",
                        "sasl.mechanism",
                        "sasl.jaas.config",
                        "ssl.truststore.location",
                        "request.timeout.ms");
    }

    @Test
    void shouldDeleteOnlyChatBridgesInternalTopicsWhenAnotherApplicationsIdStartsWithOurs() {
        Set<String> topics = Set.of(
                "chat-requests",
                "chat-bridge-pending-requests-changelog",
                "chat-bridge-by-thread-repartition",
                "chat-bridge-canary-pending-requests-changelog",
                "chat-bridge-audit",
                "other-app-x-changelog");

        ResetCommand.InternalTopics split = ResetCommand.internalTopics("chat-bridge", "chat-requests", topics);

        assertThat(split.ours())
                .containsExactly("chat-bridge-by-thread-repartition", "chat-bridge-pending-requests-changelog");
        assertThat(split.foreign()).containsExactly("chat-bridge-canary-pending-requests-changelog");
        assertThat(ResetCommand.internalTopics("chat-bridge", "chat-requests", Set.of("chat-requests"))
                        .ours())
                .isEmpty();
    }

    @Test
    void shouldNameTheSameInternalTopicsAsTheTopology() {
        CliRun cli = new CliRun(Map.of());
        assertThat(cli.execute("topology", "--set", "chat.input.keying=REKEY")).isZero();

        // Kafka Streams prefixes these with the application id: <id>-by-thread-repartition,
        // <id>-pending-requests-changelog.
        assertThat(cli.out()).contains("by-thread-repartition").contains("stores: [pending-requests]");
    }

    @Test
    void shouldRefuseWithoutBootstrapServersBeforeContactingKafka() {
        CliRun cli = new CliRun(Map.of());

        assertThat(cli.execute("reset")).isEqualTo(2);
        assertThat(cli.err()).contains("bootstrap.servers is not set");
        assertThat(cli.execute("reset", "--bootstrap-servers", "127.0.0.1:1", "--by-duration", "soon"))
                .isEqualTo(2);
        assertThat(cli.err()).contains("--by-duration soon is not an ISO-8601 duration");
    }

    @Test
    void shouldPassTheToolsLinesOnWithoutStackFramesAndLeaveOtherThreadsOutput() throws Exception {
        List<String> out = new ArrayList<>();
        List<String> err = new ArrayList<>();
        AtomicReference<String> otherThread = new AtomicReference<>();
        ByteArrayOutputStream original = new ByteArrayOutputStream();
        PrintStream before = System.out;
        System.setOut(new PrintStream(original, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = KafkaResetTool.run(
                    args -> {
                        System.out.println("Reset-offsets for input topics " + List.of(args));
                        System.out.print("Done.");
                        Thread t = new Thread(() -> System.out.println("from another thread"));
                        t.start();
                        try {
                            t.join();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        otherThread.set(original.toString(StandardCharsets.UTF_8));
                        IllegalStateException e = new IllegalStateException(
                                "Consumer group 'x' is still active", new RuntimeException("cause"));
                        System.err.println("ERROR: " + e);
                        e.printStackTrace();
                        return 1;
                    },
                    List.of("--a"),
                    out::add,
                    err::add);
        } finally {
            System.setOut(before);
        }

        assertThat(code).isEqualTo(1);
        assertThat(out).containsExactly("Reset-offsets for input topics [--a]", "Done.");
        assertThat(err)
                .containsExactly(
                        "ERROR: java.lang.IllegalStateException: Consumer group 'x' is still active",
                        "Caused by: java.lang.RuntimeException: cause");
        assertThat(otherThread.get()).isEqualTo("from another thread" + System.lineSeparator());
        assertThat(System.out).isSameAs(before);
    }

    @Test
    void shouldKeepTheJvmAliveWhenTheRealToolWantsToExitOnBadArguments() {
        List<String> err = new ArrayList<>();

        int code = KafkaResetTool.run(KafkaResetTool.KAFKA, List.of("--no-such-option"), line -> {}, err::add);

        assertThat(code).isEqualTo(1);
        assertThat(String.join("\n", err)).contains("the reset tool asked to exit with code 1");
    }

    @Test
    void shouldWriteTheToolsSettingsToAFileOnlyTheUserCanReadAndDeleteIt() throws IOException {
        Path path;
        try (PrivatePropertiesFile file =
                PrivatePropertiesFile.write(Map.of("sasl.jaas.config", "secret \"pässword\""))) {
            path = file.path();
            assertThat(Files.getPosixFilePermissions(path))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            Properties read = new Properties();
            try (var in = Files.newInputStream(path)) {
                read.load(in); // as the tool reads it (Utils.loadProps): a byte stream
            }
            assertThat(read.getProperty("sasl.jaas.config")).isEqualTo("secret \"pässword\"");
        }
        assertThat(path).doesNotExist();
    }
}
