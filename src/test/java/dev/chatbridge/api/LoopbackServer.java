package dev.chatbridge.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A tiny HTTP server on 127.0.0.1 for client tests: records every request (headers and body), counts closed
 * connections, and answers with a {@link Handler}; the static factories cover the usual answers (fixed body, event
 * stream, stall, cut, reset).
 */
final class LoopbackServer implements AutoCloseable {

    /** What the server answers, once the request body was read. */
    @FunctionalInterface
    interface Handler {
        Publisher<Void> answer(HttpServerRequest request, HttpServerResponse response);
    }

    /** One request as received. */
    record Received(String method, String uri, HttpHeaders headers, String body) {}

    private static final char[] PASSWORD = "changeit".toCharArray();
    static final String SSE = "text/event-stream";
    static final String JSON = "application/json";

    private final DisposableServer server;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicInteger closedConnections = new AtomicInteger();

    private final String scheme;

    private LoopbackServer(Handler handler, SslContext tls) {
        HttpServer http = HttpServer.create();
        if (tls != null) {
            http = http.secure(spec -> spec.sslContext(tls));
        }
        this.scheme = tls == null ? "http" : "https";
        this.server = http.host("127.0.0.1")
                .port(0)
                .doOnConnection(connection -> connection.onDispose(closedConnections::incrementAndGet))
                .handle((request, response) -> request.receive()
                        .aggregate()
                        .asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .flatMapMany(body -> {
                            received.add(new Received(
                                    request.method().name(),
                                    request.uri(),
                                    request.requestHeaders().copy(),
                                    body));
                            return handler.answer(request, response);
                        }))
                .bindNow(Duration.ofSeconds(10));
    }

    static LoopbackServer start(Handler handler) {
        return new LoopbackServer(handler, null);
    }

    /**
     * A TLS server whose key and certificate come from the PKCS12 test resource {@code keyStore} (password changeit).
     */
    static LoopbackServer startTls(Handler handler, String keyStore) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = LoopbackServer.class.getResourceAsStream(keyStore)) {
            store.load(in, PASSWORD);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASSWORD);
        return new LoopbackServer(handler, SslContextBuilder.forServer(keys).build());
    }

    String baseUrl() {
        return scheme + "://127.0.0.1:" + server.port();
    }

    /** The next request received, waiting at most 5 s. */
    Received takeRequest() throws InterruptedException {
        Received request = received.poll(5, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the server received no request within 5 s");
        }
        return request;
    }

    int requestsReceived() {
        return received.size();
    }

    int closedConnections() {
        return closedConnections.get();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
    }

    /** Answers {@code status} with a body of {@code contentType} and extra headers. */
    static Handler respond(int status, String contentType, String body, Map<String, String> headers) {
        return (request, response) -> {
            response.status(HttpResponseStatus.valueOf(status));
            if (contentType != null) {
                response.header("Content-Type", contentType);
            }
            headers.forEach(response::header);
            return response.sendString(Mono.just(body));
        };
    }

    static Handler respond(int status, String contentType, String body) {
        return respond(status, contentType, body, Map.of());
    }

    /** Answers 200 text/event-stream, writing and flushing each chunk {@code gap} after the previous. */
    static Handler sse(Duration gap, String... chunks) {
        return (request, response) -> response.status(200)
                .header("Content-Type", SSE)
                .send(utf8(Flux.fromArray(chunks).delayElements(gap)), chunk -> true);
    }

    /** Answers 200 with {@code chunks}, then never sends more nor ends the answer. */
    static Handler thenStall(String contentType, String... chunks) {
        return (request, response) -> response.status(200)
                .header("Content-Type", contentType)
                .send(utf8(Flux.fromArray(chunks)), chunk -> true)
                .then(Mono.never());
    }

    /** Sends nothing at all, not even the status line. */
    static Handler stall() {
        return (request, response) -> Mono.never();
    }

    /** Answers 200 with {@code chunks}, then closes the connection without ending the answer. */
    static Handler thenCut(String contentType, String... chunks) {
        return (request, response) -> response.status(200)
                .header("Content-Type", contentType)
                .send(utf8(Flux.fromArray(chunks)), chunk -> true)
                .then(Mono.delay(Duration.ofMillis(100))
                        .then(Mono.fromRunnable(() -> response.withConnection(
                                connection -> connection.channel().close()))))
                .then(Mono.never());
    }

    /** Answers 200 with a Content-Length larger than {@code partial}, sends it, then resets (RST) the connection. */
    static Handler thenReset(String contentType, String partial) {
        return (request, response) -> response.status(200)
                .header("Content-Type", contentType)
                .header("Content-Length", "100000")
                .send(utf8(Flux.just(partial)), chunk -> true)
                .then(Mono.delay(Duration.ofMillis(100))
                        .then(Mono.fromRunnable(() -> response.withConnection(connection -> {
                            connection.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                            connection.channel().close();
                        }))))
                .then(Mono.never());
    }

    private static Flux<ByteBuf> utf8(Flux<String> chunks) {
        return chunks.map(chunk -> Unpooled.copiedBuffer(chunk, StandardCharsets.UTF_8));
    }
}
