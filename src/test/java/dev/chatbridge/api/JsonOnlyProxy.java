package dev.chatbridge.api;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * A reverse proxy on 127.0.0.1 that forwards every request to {@code target} unchanged except for {@code Accept}, which
 * it sets to {@code application/json}, and hands back status, headers and the whole body. ChatClient always accepts
 * {@code text/event-stream}, and the simulator prefers it whenever it is acceptable, so this is how a client test
 * reaches the simulator's JSON answers. Bodies are buffered whole (fine for the small answers of tests, not for
 * streams).
 *
 * <p>Threads: requests are served on Netty event loops; {@link #close()} belongs to the test thread.
 */
final class JsonOnlyProxy implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ConnectionProvider pool = ConnectionProvider.create("json-only-proxy", 8);
    private final DisposableServer server;

    JsonOnlyProxy(String target) {
        HttpClient upstream = HttpClient.create(pool).baseUrl(target).responseTimeout(TIMEOUT);
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> request.receive()
                        .aggregate()
                        .asByteArray()
                        .defaultIfEmpty(new byte[0])
                        .flatMap(body -> upstream.headers(h -> copyRequestHeaders(request.requestHeaders(), h))
                                .request(request.method())
                                .uri(request.uri())
                                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                                .responseSingle((answer, content) -> content.asByteArray()
                                        .defaultIfEmpty(new byte[0])
                                        .flatMap(bytes -> {
                                            response.status(answer.status());
                                            answer.responseHeaders()
                                                    .forEach(e -> response.header(e.getKey(), e.getValue()));
                                            response.responseHeaders()
                                                    .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
                                            response.responseHeaders().remove(HttpHeaderNames.TRANSFER_ENCODING);
                                            return response.sendByteArray(Mono.just(bytes))
                                                    .then();
                                        }))))
                .bindNow(TIMEOUT);
    }

    private static void copyRequestHeaders(HttpHeaders from, HttpHeaders to) {
        from.forEach(e -> to.add(e.getKey(), e.getValue()));
        to.remove(HttpHeaderNames.HOST);
        to.remove(HttpHeaderNames.CONTENT_LENGTH);
        to.set(HttpHeaderNames.ACCEPT, "application/json");
    }

    /** {@code http://127.0.0.1:<port>}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.disposeNow(TIMEOUT);
        pool.disposeLater().block(TIMEOUT);
    }
}
