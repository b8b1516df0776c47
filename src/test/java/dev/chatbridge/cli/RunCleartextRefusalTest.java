package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code run} refuses cleartext to remote endpoints before contacting anything: exit 2, one line each. */
@Timeout(30)
class RunCleartextRefusalTest {

    private static Map<String, String> env(String apiUrl, String registryUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1");
        env.put("KAFKA_SCHEMA_REGISTRY_URL", registryUrl);
        env.put("CHAT_BRIDGE_API_URL", apiUrl);
        env.put("CHAT_BRIDGE_API_KEY", "sk-cleartext-test-key");
        return env;
    }

    @Test
    void shouldRefuseCleartextToARemoteApiWithOneLine() {
        CliRun cli = new CliRun(env("http://user:pw@api.example.com/v1?token=abc", "http://127.0.0.1:1"));

        int code = cli.execute("run");

        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err().lines().filter(line -> line.startsWith("error: "))).hasSize(1);
        assertThat(cli.err()).doesNotContain("pw@", "abc", "sk-cleartext-test-key");
    }

    @Test
    void shouldRefuseCleartextToARemoteApiNamingTheRuleAndTheFix() {
        CliRun cli = new CliRun(env("http://api.example.com/v1", "http://127.0.0.1:1"));

        int code = cli.execute("run");

        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err().lines().filter(line -> line.startsWith("error: ")))
                .singleElement()
                .asString()
                .contains("http://api.example.com/v1", "not loopback", "https://", "chat.api.allow.cleartext=true");
    }

    @Test
    void shouldRefuseCleartextToARemoteRegistryWithOneLine() {
        CliRun cli = new CliRun(env("http://127.0.0.1:1", "http://svc:reg-secret@registry.internal:8081"));

        int code = cli.execute("run");

        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err().lines().filter(line -> line.startsWith("error: ")))
                .singleElement()
                .asString()
                .contains(
                        "schema.registry.url",
                        "registry.internal",
                        "not loopback",
                        "chat.registry.allow.cleartext=true")
                .doesNotContain("reg-secret");
    }
}
