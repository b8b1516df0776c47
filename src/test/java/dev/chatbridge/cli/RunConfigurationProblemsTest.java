package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code run} checks every part of the configuration (engine, request policy, API client, registry) before it starts
 * anything, and reports every problem at once: exit 2, one {@code error:} line per problem, each naming the setting and
 * its environment variable.
 */
@Timeout(30)
class RunConfigurationProblemsTest {

    private static Map<String, String> complete() {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1");
        env.put("KAFKA_SCHEMA_REGISTRY_URL", "http://127.0.0.1:1");
        env.put("CHAT_BRIDGE_API_URL", "http://127.0.0.1:1");
        env.put("CHAT_BRIDGE_API_KEY", "sk-problems-test-key");
        return env;
    }

    private static List<String> errors(CliRun cli) {
        return cli.err().lines().filter(line -> line.startsWith("error: ")).toList();
    }

    @Test
    void shouldReportAnEngineAPolicyAnApiAndARegistryProblemTogether() {
        // Given one problem in each part, none of them a type or range error of a single setting
        Map<String, String> env = complete();
        env.put("CHAT_BRIDGE_MAX_PENDING", "10"); // below chat.max.in.flight (64)
        env.put("CHAT_BRIDGE_POLICY_ACCOUNTS_ALLOWED", "regex:(");
        env.put("CHAT_BRIDGE_API_TLS_CLIENT_CERTIFICATE_FILE", "/nowhere/client.pem"); // without the key file
        env.put("KAFKA_BASIC_AUTH_CREDENTIALS_SOURCE", "USER_INFO"); // without basic.auth.user.info
        CliRun cli = new CliRun(env);

        // When
        int code = cli.execute("run");

        // Then
        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(errors(cli))
                .hasSize(4)
                .anySatisfy(line -> assertThat(line).contains("chat.max.pending", "CHAT_BRIDGE_MAX_PENDING"))
                .anySatisfy(line -> assertThat(line)
                        .contains("chat.policy.accounts.allowed", "CHAT_BRIDGE_POLICY_ACCOUNTS_ALLOWED"))
                .anySatisfy(line -> assertThat(line)
                        .contains("chat.api.tls.client.key.file", "CHAT_BRIDGE_API_TLS_CLIENT_KEY_FILE"))
                .anySatisfy(line -> assertThat(line).contains("basic.auth.user.info", "KAFKA_BASIC_AUTH_USER_INFO"));
        assertThat(cli.err()).doesNotContain("sk-problems-test-key", "\tat ");
    }

    @Test
    void shouldReportABadRegistrySettingTogetherWithABadChatSetting() {
        // Given a registry value no registry client accepts and a chat.* value out of its range
        CliRun cli = new CliRun(complete());

        // When
        int code = cli.execute("run", "--set", "basic.auth.credentials.source=FOO", "--set", "chat.max.in.flight=0");

        // Then
        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(errors(cli))
                .hasSize(2)
                .anySatisfy(line -> assertThat(line)
                        .contains("basic.auth.credentials.source", "FOO", "KAFKA_BASIC_AUTH_CREDENTIALS_SOURCE"))
                .anySatisfy(line -> assertThat(line).contains("chat.max.in.flight", "CHAT_BRIDGE_MAX_IN_FLIGHT"));
        assertThat(cli.err()).doesNotContain("\tat ");
    }

    @Test
    void shouldNameTheApiSettingOfAProblemTheApiClientFinds() {
        // Given an API URL that carries credentials, which the API client refuses
        Map<String, String> env = complete();
        env.put("CHAT_BRIDGE_API_URL", "http://someone:hunter2@127.0.0.1:1");
        CliRun cli = new CliRun(env);

        // When
        int code = cli.execute("run");

        // Then the line names the setting and its variable, not only the client's builder name
        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(errors(cli))
                .singleElement()
                .satisfies(line -> assertThat(line).contains("chat.api.url", "CHAT_BRIDGE_API_URL"));
        assertThat(cli.err()).doesNotContain("hunter2", "\tat ");
    }
}
