package dev.chatbridge.devtools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-config demo, run as a user runs it ({@code java -jar target/chat-bridge.jar demo --exit}, so that the
 * terminal seen here is what a user sees, log lines included), on free ports.
 */
@Timeout(300)
class DemoIT {

    /** The jar a user runs (built by the package phase, before the integration tests). */
    private static final Path JAR = Path.of(System.getProperty("chatbridge.jar", "target/chat-bridge.jar"));

    private static final String LOG_NOTICE = "  Log (configuration, warnings): ";

    @TempDir
    Path dir;

    @Test
    void shouldShowOnlyAddressesOutcomesAndSummaryAndKeepTheLogLinesInAFile() throws Exception {
        // Given an empty environment and free ports
        // When
        Process demo = launch(List.of(
                "demo",
                "--exit",
                "--requests",
                "6",
                "--timeout",
                "180",
                "--kafka-port",
                "0",
                "--registry-port",
                "0",
                "--api-port",
                "0",
                "--metrics-port",
                "0"));
        boolean exited = demo.waitFor(240, TimeUnit.SECONDS);
        if (!exited) {
            demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(dir.resolve("demo.out"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("demo.err"), StandardCharsets.UTF_8);

        // Then it stops by itself with exit code 0
        assertThat(exited)
                .as("demo still running; stdout:%n%s%nstderr:%n%s", out, err)
                .isTrue();
        assertThat(demo.exitValue())
                .as("demo exit code; stdout:%n%s%nstderr:%n%s", out, err)
                .isZero();

        // And the terminal shows the addresses, one outcome per request and the summary
        assertThat(out)
                .contains(
                        "Kafka bootstrap servers: 127.0.0.1:",
                        "Schema registry:         http://127.0.0.1:",
                        "API simulator:           http://127.0.0.1:",
                        "Published 6 requests");
        assertThat(out.lines().filter(l -> l.contains("/metrics, /health/live")))
                .as("the metrics address, once")
                .hasSize(1);
        long outcomeLines = out.lines()
                .filter(l -> l.startsWith("  answered") || l.startsWith("  dead letter"))
                .count();
        assertThat(outcomeLines).as("one printed outcome per request").isEqualTo(6);
        assertThat(out)
                .contains("dead letter", "BAD_REQUEST (HTTP 400)", "2 attempts")
                .contains("6 requests: 5 answered", "0 without an outcome, 0 with more than one");

        // And nothing else: no configuration dump, no library log lines, no warnings
        String terminal = out + err;
        assertThat(terminal.lines().filter(DemoIT::isLogLine))
                .as("log lines on the terminal")
                .isEmpty();
        assertThat(terminal).doesNotContain("WARN", "effective configuration", "chat.api.key");

        // And the log lines are in the file named at start, the library's warnings included
        String notice = out.lines()
                .filter(l -> l.startsWith(LOG_NOTICE))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line names the log file; stdout:\n" + out));
        Path logFile = Path.of(notice.substring(LOG_NOTICE.length()).split("  ")[0]);
        try {
            String log = Files.readString(logFile, StandardCharsets.UTF_8);
            assertThat(log).contains("effective configuration", "chat.topics.requests = chat-requests");
            assertThat(log.lines().filter(l -> l.contains(" WARN ") && isKafkaLogLine(l)))
                    .as("Kafka's warnings in %s", logFile)
                    .isNotEmpty();
        } finally {
            Files.deleteIfExists(logFile);
        }
    }

    /** A line of logback.xml's human pattern: timestamp, level, [thread]. */
    private static boolean isLogLine(String line) {
        return line.matches("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} +[A-Z]+ +\\[.*") || isKafkaLogLine(line);
    }

    private static boolean isKafkaLogLine(String line) {
        return line.contains("org.apache.kafka") || line.contains("o.apache.kafka") || line.contains("o.a.k.");
    }

    /** {@code java -jar target/chat-bridge.jar <args>}, without CHAT_BRIDGE_* or KAFKA_* variables. */
    private Process launch(List<String> args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command =
                new ArrayList<>(List.of(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("demo.out").toFile())
                .redirectError(dir.resolve("demo.err").toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("CHAT_BRIDGE_") || k.startsWith("KAFKA_"));
        return builder.start();
    }
}
