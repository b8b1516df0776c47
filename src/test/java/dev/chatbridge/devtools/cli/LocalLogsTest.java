package dev.chatbridge.devtools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.config.ChatBridgeConfig;
import org.junit.jupiter.api.Test;

/** demo and sandbox name their log file, unless --verbose keeps the log lines on the terminal. */
class LocalLogsTest {

    @Test
    void shouldSendTheLogLinesToANamedFileByDefault() throws Exception {
        LocalLogs logs = new LocalLogs();

        LocalLogs.Redirect redirect = logs.start("chatbridge-test-", ChatBridgeConfig.LogFormat.HUMAN);
        try {
            assertThat(redirect.file()).exists();
            assertThat(redirect.notice()).contains(redirect.file().toString(), "--verbose");
        } finally {
            redirect.close();
        }
        assertThat(redirect.file()).as("an empty log file is not left behind").doesNotExist();
    }

    @Test
    void shouldKeepTheLogLinesOnTheTerminalWithVerbose() throws Exception {
        LocalLogs logs = new LocalLogs();
        logs.verbose = true;

        try (LocalLogs.Redirect redirect = logs.start("chatbridge-test-", ChatBridgeConfig.LogFormat.HUMAN)) {
            assertThat(redirect.file()).isNull();
            assertThat(redirect.notice()).isNull();
        }
    }
}
