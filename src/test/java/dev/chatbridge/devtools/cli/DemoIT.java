package dev.chatbridge.devtools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.cli.CliRun;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The zero-config demo, as {@code java -jar chat-bridge.jar demo --exit} runs it, on free ports. */
@Timeout(300)
class DemoIT {

    @Test
    void shouldExitZeroOnceEveryRequestHasExactlyOneOutcome() {
        // Given an empty environment and free ports
        CliRun cli = new CliRun(Map.of());

        // When
        int code = cli.execute(
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
                "0");

        // Then
        assertThat(code)
                .as("demo exit code; stdout:%n%s%nstderr:%n%s", cli.out(), cli.err())
                .isZero();
        String out = cli.out();
        assertThat(out)
                .contains(
                        "Kafka bootstrap servers: 127.0.0.1:",
                        "Schema registry:         http://127.0.0.1:",
                        "API simulator:           http://127.0.0.1:",
                        "Published 6 requests");
        long outcomeLines = out.lines()
                .filter(l -> l.startsWith("  answered") || l.startsWith("  dead letter"))
                .count();
        assertThat(outcomeLines).as("one printed outcome per request").isEqualTo(6);
        assertThat(out)
                .contains("dead letter", "BAD_REQUEST (HTTP 400)", "2 attempts")
                .contains("6 requests: 5 answered", "0 without an outcome, 0 with more than one");
    }
}
