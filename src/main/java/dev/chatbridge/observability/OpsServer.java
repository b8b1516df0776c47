package dev.chatbridge.observability;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The ops HTTP server of one process, on Reactor Netty:
 *
 * <ul>
 *   <li>{@code GET /metrics}: the registry in the Prometheus text format 0.0.4;
 *   <li>{@code GET /health/live}: 200 {@code {"status":"UP"}}, or 503 when Kafka Streams failed or stopped;
 *   <li>{@code GET /health/ready}: 200 only when Kafka Streams is RUNNING and the API accepts the deployment, else 503;
 *       the body says why.
 * </ul>
 *
 * Any other path is 404. Owned by the command that runs the service, which starts it after building the app and closes
 * it before the registry.
 *
 * <p><b>Threading.</b> Requests are served on Netty event loops; a scrape runs on Reactor's bounded elastic scheduler,
 * since Kafka's metrics may take locks. {@link #close()} may be called from any thread.
 */
public final class OpsServer implements AutoCloseable {

    /** Content type of the Prometheus text exposition format. */
    public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final String JSON = "application/json";

    private final DisposableServer server;

    private OpsServer(DisposableServer server) {
        this.server = server;
    }

    /**
     * Binds the server (port 0: a free port) and returns once it listens.
     *
     * @throws RuntimeException when the address cannot be bound within 10 s
     */
    public static OpsServer start(String host, int port, PrometheusMeterRegistry registry, Health health) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        ObjectMapper mapper = JsonMapper.builder().build();
        DisposableServer server = HttpServer.create()
                .host(host)
                .port(port)
                .route(routes -> routes.get(
                                "/metrics",
                                (request, response) -> response.header(
                                                HttpHeaderNames.CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)
                                        .sendString(
                                                Mono.fromCallable(registry::scrape)
                                                        .subscribeOn(Schedulers.boundedElastic()),
                                                StandardCharsets.UTF_8))
                        .get("/health/live", (request, response) -> send(response, mapper, health.live()))
                        .get("/health/ready", (request, response) -> send(response, mapper, health.ready())))
                .bindNow(BIND_TIMEOUT);
        LOG.info("Ops server listening on http://{}:{} (/metrics, /health/live, /health/ready)", host, server.port());
        return new OpsServer(server);
    }

    private static Publisher<Void> send(HttpServerResponse response, ObjectMapper mapper, Health.Status status) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("status", status.up() ? "UP" : "DOWN");
        if (!status.up()) {
            body.put("reason", status.reason());
        }
        byte[] json;
        try {
            json = mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings cannot fail to serialize", e);
        }
        return response.status(status.up() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaderNames.CONTENT_TYPE, JSON)
                .sendByteArray(Mono.just(json));
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** Stops listening, waiting at most 10 s. Idempotent. */
    @Override
    public void close() {
        server.disposeNow(CLOSE_TIMEOUT);
    }
}
