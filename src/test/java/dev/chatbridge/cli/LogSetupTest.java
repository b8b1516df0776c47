package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.config.ChatBridgeConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The log file of demo and sandbox: everything in the file, only errors on the terminal, the terminal back after. */
class LogSetupTest {

    private static final Logger KAFKA = LoggerFactory.getLogger("org.apache.kafka.streams.LogSetupTest");
    private static final Logger SERVICE = LoggerFactory.getLogger("dev.chatbridge.LogSetupTest");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void captureTheTerminal() {
        originalOut = System.out;
        originalErr = System.err;
        PrintStream captured = new PrintStream(terminal, true, StandardCharsets.UTF_8);
        System.setOut(captured);
        System.setErr(captured);
    }

    @AfterEach
    void restoreTheTerminal() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }

    @Test
    void shouldWriteEveryLineToTheFileAndOnlyErrorsToTheTerminalUntilClosed() throws Exception {
        // Given the log lines sent to a file
        Path file = dir.resolve("demo.log");
        AutoCloseable redirect = LogSetup.toFile(file, ChatBridgeConfig.LogFormat.HUMAN);
        try {
            // When a library warns, the service informs and something fails
            KAFKA.warn("library warning one");
            SERVICE.info("effective configuration two");
            SERVICE.error("failure three");
        } finally {
            redirect.close();
        }
        // And after closing, the library warns again
        KAFKA.warn("library warning four");

        // Then the file has the lines logged while it was open, in the human format
        String log = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(log)
                .contains(" WARN ", "library warning one", "effective configuration two", "failure three")
                .doesNotContain("library warning four");
        // And the terminal had only the error, then everything again
        String shown = terminal.toString(StandardCharsets.UTF_8);
        assertThat(shown)
                .contains("failure three", "library warning four")
                .doesNotContain("library warning one", "effective configuration two");
    }

    @Test
    void shouldWriteJsonLinesToTheFileWhenTheFormatIsJson() throws Exception {
        Path file = dir.resolve("demo.json.log");
        AutoCloseable redirect = LogSetup.toFile(file, ChatBridgeConfig.LogFormat.JSON);
        try {
            SERVICE.info("as json");
        } finally {
            redirect.close();
        }

        assertThat(Files.readAllLines(file, StandardCharsets.UTF_8))
                .filteredOn(l -> l.contains("as json"))
                .singleElement()
                .satisfies(l -> assertThat(l).startsWith("{"));
    }
}
