package dev.chatbridge.devtools.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.cli.CliRun;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code simulate}'s options for containers: the listen address and the API key read from a mounted file. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulateCommandTest {

    private static final Pattern LISTENING = Pattern.compile("listening at http://[^:]+:(\\d+)/chats/v2");

    @TempDir
    Path dir;

    @Test
    void shouldAcceptTheKeyFromTheFileOnTheGivenAddress() throws Exception {
        Path keyFile = Files.writeString(dir.resolve("chat-api-key"), "  file-key-123\n");
        CliRun cli = new CliRun(Map.of());
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(
                "simulate",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--latency-p50",
                "1",
                "--latency-p99",
                "2",
                "--api-key-file",
                keyFile.toString()));
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> LISTENING.matcher(cli.out()).find() || exit.isDone());
            Matcher m = LISTENING.matcher(cli.out());
            assertThat(m.find())
                    .as("stdout: %s, stderr: %s", cli.out(), cli.err())
                    .isTrue();
            URI uri = URI.create("http://127.0.0.1:" + m.group(1) + "/chats/v2");

            assertThat(call(uri, "file-key-123")).isEqualTo(200);
            assertThat(call(uri, "demo-key"))
                    .as("the default key no longer works")
                    .isEqualTo(401);
        } finally {
            cli.context().requestStop();
        }
        assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void shouldRefuseAnEmptyOrMissingKeyFileWithExitCode2() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), " \n");
        CliRun cli = new CliRun(Map.of());
        assertThat(cli.execute("simulate", "--port", "0", "--api-key-file", empty.toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("--api-key-file", "is empty");

        CliRun missing = new CliRun(Map.of());
        assertThat(missing.execute(
                        "simulate",
                        "--port",
                        "0",
                        "--api-key-file",
                        dir.resolve("nope").toString()))
                .isEqualTo(2);
        assertThat(missing.err()).contains("cannot read --api-key-file");
    }

    private static int call(URI uri, String key) throws Exception {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"messages\":[{\"role\":\"User\",\"text\":\"hello\"}],\"threadId\":\"t1\"}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
