package dev.chatbridge.devtools.registry;

import dev.chatbridge.registry.HttpBodies;
import dev.chatbridge.registry.RegistryStore;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * An in-memory schema registry speaking the Confluent Schema Registry REST API over HTTP on 127.0.0.1, for the demo and
 * for tests: what chat-bridge's serde needs, and the endpoints a person pokes at with curl (subjects, versions, ids,
 * config, compatibility, delete subject).
 *
 * <p>Answers are {@code application/vnd.schemaregistry.v1+json}; request bodies may be any of Confluent's accepted
 * content types, up to {@value #MAX_BODY_BYTES} bytes (413 beyond). When built with credentials every request needs
 * them as basic auth (401, error_code 401 otherwise). The rules (ids, versions, compatibility, error codes) are
 * {@link RegistryStore}'s, shared with the mock client. State lives only in memory and dies with {@link #close()}.
 *
 * <p>Threading: requests run on Reactor Netty's event loops and touch only the store (which locks itself) and an atomic
 * counter; {@link #start()} and {@link #close()} are synchronized.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** Largest request body accepted. */
    public static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

    static final String V1_JSON = "application/vnd.schemaregistry.v1+json";
    private static final Set<String> ACCEPTED_BODY_TYPES =
            Set.of(V1_JSON, "application/vnd.schemaregistry+json", "application/json", "application/octet-stream");
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

    private final int requestedPort;
    private final byte[] requiredAuthorization;
    private final RegistryRoutes routes = new RegistryRoutes(new RegistryStore());
    private final AtomicLong requests = new AtomicLong();
    private DisposableServer server;

    /** A registry that will listen on 127.0.0.1:{@code port} (0: a free port), without authentication. */
    public EmbeddedSchemaRegistry(int port) {
        this(port, null);
    }

    /** A registry that will listen on 127.0.0.1:{@code port} and require these basic auth credentials. */
    public EmbeddedSchemaRegistry(int port, String user, String password) {
        this(
                port,
                "Basic "
                        + Base64.getEncoder()
                                .encodeToString((Objects.requireNonNull(user, "user") + ":"
                                                + Objects.requireNonNull(password, "password"))
                                        .getBytes(StandardCharsets.UTF_8)));
    }

    private EmbeddedSchemaRegistry(int port, String requiredAuthorization) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
        this.requestedPort = port;
        this.requiredAuthorization =
                requiredAuthorization == null ? null : requiredAuthorization.getBytes(StandardCharsets.UTF_8);
    }

    /** Binds and starts serving; returns this. Fails when the port cannot be bound within 10 s. */
    public synchronized EmbeddedSchemaRegistry start() {
        if (server != null) {
            throw new IllegalStateException("The embedded schema registry is already started at " + url());
        }
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(requestedPort)
                .idleTimeout(Duration.ofSeconds(60))
                .handle(this::handle)
                .bindNow(BIND_TIMEOUT);
        LOG.info("Embedded schema registry listening at {}", url());
        return this;
    }

    /** The base URL, for {@code schema.registry.url}: {@code http://127.0.0.1:<port>}. */
    public synchronized String url() {
        return "http://127.0.0.1:" + port();
    }

    /** The bound port. */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("The embedded schema registry is not started: call start() first");
        }
        return server.port();
    }

    /** Requests received since start, including rejected ones (for tests that check caching). */
    public long requestCount() {
        return requests.get();
    }

    /** Stops serving and forgets every schema; waits at most 5 s. */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.disposeNow(CLOSE_TIMEOUT);
            server = null;
        }
    }

    private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        requests.incrementAndGet();
        if (requiredAuthorization != null
                && !authorized(request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION))) {
            response.header(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"schema-registry\"");
            return send(response, routes.error(401, 401, "Unauthorized"));
        }
        String method = request.method().name();
        String uri = request.uri();
        int question = uri.indexOf('?');
        String path = question < 0 ? uri : uri.substring(0, question);
        String query = question < 0 ? "" : uri.substring(question + 1);
        if (hasBody(request.method())
                && !acceptedContentType(request.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE))) {
            return send(response, routes.error(415, 415, "HTTP 415 Unsupported Media Type"));
        }
        return HttpBodies.read(request.receive(), MAX_BODY_BYTES)
                .map(body -> routes.route(method, path, query, new String(body, StandardCharsets.UTF_8)))
                .onErrorResume(e -> {
                    if (e instanceof HttpBodies.TooLargeException) {
                        return Mono.just(
                                routes.error(413, 413, "Request body larger than " + MAX_BODY_BYTES + " bytes"));
                    }
                    LOG.error("Embedded schema registry failed on {} {}", method, path, e);
                    return Mono.just(routes.error(
                            500, 50001, "Internal server error: " + e.getClass().getSimpleName()));
                })
                .flatMap(answer -> Mono.from(send(response, answer)));
    }

    private static Publisher<Void> send(HttpServerResponse response, RegistryRoutes.Answer answer) {
        return response.status(answer.status())
                .header(HttpHeaderNames.CONTENT_TYPE, V1_JSON)
                .sendString(Mono.just(answer.json()), StandardCharsets.UTF_8);
    }

    private boolean authorized(String authorization) {
        return authorization != null
                && MessageDigest.isEqual(
                        requiredAuthorization, authorization.trim().getBytes(StandardCharsets.UTF_8));
    }

    private static boolean hasBody(HttpMethod method) {
        return method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT);
    }

    private static boolean acceptedContentType(String contentType) {
        if (contentType == null) {
            return true;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return ACCEPTED_BODY_TYPES.contains(mediaType);
    }
}
