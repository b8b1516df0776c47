package dev.chatbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void shouldPrintUsageAndExitZeroOnHelp() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exitCode;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exitCode = Main.execute("--help");
        } finally {
            System.setOut(previous);
        }

        assertThat(exitCode).as("exit code of --help").isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("Usage: chat-bridge")
                .contains("--version");
    }

    @Test
    void shouldPrintTheBuildVersion() {
        assertThat(Version.get())
                .as("version from version.properties")
                .isNotBlank()
                .isNotEqualTo("unknown");
    }
}
