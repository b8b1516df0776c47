package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.ChatRequest;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class CommandLineTest {

    @Test
    void shouldListEveryCommandInTheUsage() {
        CliRun cli = new CliRun(Map.of());

        int code = cli.execute("--help");

        assertThat(code).isZero();
        assertThat(cli.out())
                .contains("run", "demo", "sandbox", "send", "tail", "topology", "reset", "simulate", "--version");
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "demo", "sandbox", "send", "tail", "topology", "reset", "simulate"})
    void shouldGiveHelpForEachCommand(String command) {
        CliRun cli = new CliRun(Map.of());

        int code = cli.execute(command, "--help");

        assertThat(code).as("exit code of %s --help", command).isZero();
        assertThat(cli.out()).contains("Usage: chat-bridge " + command);
    }

    @Test
    void shouldExitNonZeroNamingTheMissingApiSettingsWhenRunHasNoApiUrlOrKey() {
        // Given Kafka and the registry configured through the environment, but no API URL or key
        CliRun cli = new CliRun(
                Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1", "KAFKA_SCHEMA_REGISTRY_URL", "http://127.0.0.1:1"));

        // When
        int code = cli.execute("run");

        // Then: nothing was contacted, and each missing setting is named with its variable
        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err())
                .contains(
                        "error: chat.api.url is not set",
                        "CHAT_BRIDGE_API_URL",
                        "error: no API key",
                        "CHAT_BRIDGE_API_KEY_FILE")
                .doesNotContain("bootstrap.servers is not set");
    }

    @Test
    void shouldWarnAboutAnUnknownChatBridgeVariable() {
        CliRun cli = new CliRun(Map.of("CHAT_BRIDGE_API_ULR", "https://typo.example.com"));

        int code = cli.execute("run");

        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err()).contains("warning: unknown environment variable CHAT_BRIDGE_API_ULR");
    }

    @Test
    void shouldPrintTheTopologyWithTheConfiguredTopics() {
        CliRun cli = new CliRun(Map.of("CHAT_BRIDGE_TOPICS_REQUESTS", "my-requests"));

        int code = cli.execute("topology", "--set", "chat.input.keying=REKEY");

        assertThat(code).isZero();
        assertThat(cli.out()).contains("Topologies:", "my-requests", "chat-responses", "chat-dead-letters");
    }

    @Test
    void shouldReportEveryBadLineOfSendWithItsNumberAndKeepTheOthers() throws Exception {
        // Given five lines: the second, third and fifth are bad, the fourth is blank
        String input = String.join(
                "\n",
                "{\"requestId\":\"r1\",\"threadId\":\"t1\",\"messages\":[{\"role\":\"User\",\"text\":\"hi\"}]}",
                "{not json",
                "{\"requestId\":\"r3\",\"messages\":[{\"role\":\"Robot\",\"text\":\"hi\"}]}",
                "",
                "{\"requestId\":\"r5\",\"messages\":[]}",
                "{\"requestId\":\"r6\",\"messages\":[{\"role\":\"user\",\"text\":\"again\"}],\"metadata\":{\"k\":\"v\"}}");
        StringWriter err = new StringWriter();
        List<ChatRequest> sent = new ArrayList<>();

        // When
        int skipped = SendCommand.readLines(
                new BufferedReader(new StringReader(input)), new PrintWriter(err, true), sent::add);

        // Then
        assertThat(skipped).isEqualTo(3);
        assertThat(sent).extracting(ChatRequest::getRequestId).containsExactly("r1", "r6");
        assertThat(sent.get(1).getMetadata()).containsEntry("k", "v");
        assertThat(err.toString())
                .contains(
                        "line 2: not JSON",
                        "line 3: message role must be User, System or Assistant, was 'Robot'; skipped",
                        "line 5: \"messages\" must be a non-empty array")
                .doesNotContain("line 4", "line 1:", "line 6");
    }

    @Test
    void shouldRefuseToSendWithoutKafkaSettings() {
        CliRun cli = new CliRun(Map.of(), "{}");

        assertThat(cli.execute("send")).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err()).contains("bootstrap.servers is not set", "KAFKA_BOOTSTRAP_SERVERS");
    }
}
