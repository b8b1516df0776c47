package dev.chatbridge.devtools.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.cli.CliRun;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code simulate}'s quota flags: validated one by one, and passed to the simulator. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulateCommandQuotasTest {

    private static final Pattern LISTENING = Pattern.compile("listening at http://[^:]+:(\\d+)/chats/v2");

    @ParameterizedTest
    @CsvSource({
        "--max-concurrent, -1",
        "--max-concurrent, 1000001",
        "--max-rps, -5",
        "--max-rps, 2000000",
        "--retry-after-s, -1",
        "--retry-after-s, 86401",
        "--queueing-capacity, -1",
        "--queueing-capacity, 1000001"
    })
    void shouldRefuseAQuotaFlagOutOfRangeWithExitCode2AndOneLineNamingIt(String flag, String value) {
        CliRun cli = new CliRun(Map.of());

        assertThat(cli.execute("simulate", "--port", "0", flag, value)).isEqualTo(2);

        assertThat(cli.err().strip())
                .as("stderr")
                .startsWith("error: " + flag + " must be")
                .contains("was " + value)
                .doesNotContain("\n");
        assertThat(cli.out()).doesNotContain("listening");
    }

    @Test
    void shouldServeWithTheGivenQuotas() throws Exception {
        CliRun cli = new CliRun(Map.of());
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(
                "simulate",
                "--port",
                "0",
                "--latency-p50",
                "1",
                "--latency-p99",
                "2",
                "--api-key",
                "k",
                "--max-rps",
                "1",
                "--retry-after-s",
                "7",
                "--max-concurrent",
                "8",
                "--queueing-capacity",
                "4"));
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> LISTENING.matcher(cli.out()).find() || exit.isDone());
            Matcher m = LISTENING.matcher(cli.out());
            assertThat(m.find())
                    .as("stdout: %s, stderr: %s", cli.out(), cli.err())
                    .isTrue();
            assertThat(cli.out())
                    .contains("Quotas: max concurrent 8, max requests/s 1, Retry-After 7 s, queueing capacity 4");
            URI uri = URI.create("http://127.0.0.1:" + m.group(1) + "/chats/v2");

            // one token per second: the first call is answered, the next ones in that second get 429
            assertThat(call(uri).statusCode()).isEqualTo(200);
            HttpResponse<String> refused = call(uri);
            for (int i = 0; i < 5 && refused.statusCode() == 200; i++) {
                refused = call(uri); // a stalled machine may have let a second pass: a token came back
            }
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("7");
            assertThat(refused.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        } finally {
            cli.context().requestStop();
        }
        assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    }

    private static HttpResponse<String> call(URI uri) throws Exception {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer k")
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"messages\":[{\"role\":\"User\",\"text\":\"hello\"}],\"threadId\":\"t1\"}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
