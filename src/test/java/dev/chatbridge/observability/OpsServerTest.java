package dev.chatbridge.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.netty.http.client.HttpClient;

/** The ops server over loopback, with stubbed Kafka Streams state and API acceptance. */
@Timeout(60)
class OpsServerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private record Reply(int status, String contentType, String body) {}

    private final AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.CREATED);
    private final AtomicBoolean apiAccepting = new AtomicBoolean(true);
    private PrometheusMeterRegistry registry;
    private OpsServer server;

    @BeforeEach
    void start() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        server = OpsServer.start("127.0.0.1", 0, registry, new Health(state::get, apiAccepting::get, () -> false));
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    @Test
    void shouldServeTheRegistryInPrometheusTextFormat() {
        // Given the service's meters, three responses counted
        ChatBridgeMetrics metrics = new ChatBridgeMetrics(registry);
        for (int i = 0; i < 3; i++) {
            metrics.responded();
        }

        // When /metrics is scraped
        Reply reply = get("/metrics");

        // Then it is Prometheus text with the counter and the catalogued meters
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(reply.body())
                .contains("# TYPE chat_bridge_requests_total counter")
                .contains("chat_bridge_requests_total{outcome=\"response\",reason=\"none\"} 3.0")
                .contains("chat_bridge_call_duration_seconds_bucket{");
    }

    @ParameterizedTest
    @EnumSource(
            value = KafkaStreams.State.class,
            names = {"CREATED", "REBALANCING", "RUNNING", "PENDING_SHUTDOWN"})
    void shouldBeLiveWhileKafkaStreamsHasNotFailedOrStopped(KafkaStreams.State streamsState) {
        state.set(streamsState);
        apiAccepting.set(false);

        Reply reply = get("/health/live");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.contentType()).isEqualTo("application/json");
        assertThat(reply.body()).isEqualTo("{\"status\":\"UP\"}");
    }

    @ParameterizedTest
    @EnumSource(
            value = KafkaStreams.State.class,
            names = {"ERROR", "PENDING_ERROR", "NOT_RUNNING"})
    void shouldNotBeLiveWhenKafkaStreamsFailedOrStopped(KafkaStreams.State streamsState) {
        state.set(streamsState);

        Reply reply = get("/health/live");

        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.body()).contains("\"status\":\"DOWN\"").contains(streamsState.name());
    }

    @ParameterizedTest
    @EnumSource(value = KafkaStreams.State.class, names = "RUNNING", mode = EnumSource.Mode.EXCLUDE)
    void shouldNotBeReadyUnlessKafkaStreamsIsRunning(KafkaStreams.State streamsState) {
        state.set(streamsState);

        Reply reply = get("/health/ready");

        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.body()).contains("\"status\":\"DOWN\"").contains("Kafka Streams is " + streamsState);
    }

    @Test
    void shouldBeReadyOnlyWhileRunningAndTheApiAcceptsTheDeployment() {
        // Given Kafka Streams running
        state.set(KafkaStreams.State.RUNNING);
        assertThat(get("/health/ready").status()).as("ready while running").isEqualTo(200);
        assertThat(get("/health/ready").body()).isEqualTo("{\"status\":\"UP\"}");

        // When the API refuses the deployment
        apiAccepting.set(false);
        Reply refused = get("/health/ready");

        // Then not ready, saying why, but still live; and ready again once it accepts
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("operator failure");
        assertThat(get("/health/live").status()).isEqualTo(200);
        apiAccepting.set(true);
        assertThat(get("/health/ready").status()).isEqualTo(200);
    }

    @Test
    void shouldAnswerNotFoundForOtherPaths() {
        assertThat(get("/admin").status()).isEqualTo(404);
    }

    private Reply get(String path) {
        return HttpClient.create()
                .baseUrl("http://127.0.0.1:" + server.port())
                .get()
                .uri(path)
                .responseSingle((response, body) -> body.asString()
                        .defaultIfEmpty("")
                        .map(text -> new Reply(
                                response.status().code(),
                                response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE),
                                text)))
                .block(WAIT);
    }
}
