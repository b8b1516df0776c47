package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** A plain Reactor Netty client for the simulator tests (not the production client). */
final class SimTestClient implements AutoCloseable {

    static final String KEY = "test-key";
    static final String SSE_ACCEPT = "text/event-stream, application/json";
    static final ObjectMapper JSON = new ObjectMapper();

    private final ConnectionProvider pool = ConnectionProvider.create("sim-test", 64);
    private final HttpClient client;

    SimTestClient(String baseUrl) {
        this.client = HttpClient.create(pool).baseUrl(baseUrl);
    }

    /** What came back: a status with headers and body, or the transport error. */
    record Reply(int status, HttpHeaders headers, String body, Throwable error) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("reply body is not JSON: " + body, e);
            }
        }

        /** The data lines of an SSE body parsed as JSON, in order. */
        List<JsonNode> events() {
            List<JsonNode> events = new ArrayList<>();
            for (String line : body.split("\n")) {
                if (line.startsWith("data: ")) {
                    try {
                        events.add(JSON.readTree(line.substring(6)));
                    } catch (IOException e) {
                        throw new UncheckedIOException("SSE data line is not JSON: " + line, e);
                    }
                }
            }
            return events;
        }
    }

    /** A request body with one User message. */
    static String body(String threadId, String text) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("messages", List.of(Map.of("role", "User", "text", text)));
        body.put("assistantId", "assistant-1");
        body.put("threadId", threadId);
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** POSTs {@code body} to /chats/v2 with the test key, JSON content type and the given Accept. */
    Reply chat(String body, String accept, String requestId) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + KEY);
        headers.put("Content-Type", "application/json");
        headers.put("Accept", accept);
        if (requestId != null) {
            headers.put("X-Request-Id", requestId);
        }
        return send("POST", "/chats/v2", body, headers, Duration.ofSeconds(10));
    }

    /** {@link #chat} on behalf of {@code account} (the {@code unleash-account} header; none when null). */
    Reply chatAs(String body, String accept, String requestId, String account) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + KEY);
        headers.put("Content-Type", "application/json");
        headers.put("Accept", accept);
        if (requestId != null) {
            headers.put("X-Request-Id", requestId);
        }
        if (account != null) {
            headers.put("unleash-account", account);
        }
        return send("POST", "/chats/v2", body, headers, Duration.ofSeconds(10));
    }

    /** A reply kept as bytes (for bodies that are huge or not UTF-8), with the number of network reads. */
    record RawReply(int status, HttpHeaders headers, byte[] body, int reads) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("reply body is not JSON", e);
            }
        }
    }

    /** POSTs {@code body} to /chats/v2 with the test key and keeps the answer as bytes. */
    RawReply raw(String body, String accept, Duration timeout) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] reads = {0};
        return client.responseTimeout(timeout)
                .headers(h -> h.set("Authorization", "Bearer " + KEY)
                        .set("Content-Type", "application/json")
                        .set("Accept", accept))
                .post()
                .uri("/chats/v2")
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .response((res, content) -> content.asByteArray()
                        .doOnNext(b -> {
                            reads[0]++;
                            out.writeBytes(b);
                        })
                        .then(Mono.fromSupplier(() ->
                                new RawReply(res.status().code(), res.responseHeaders(), out.toByteArray(), reads[0]))))
                .single()
                .block(timeout.plusSeconds(5));
    }

    Mono<Reply> sendAsync(String method, String path, String body, Map<String, String> headers, Duration timeout) {
        HttpClient c = client.responseTimeout(timeout).headers(h -> headers.forEach(h::set));
        HttpClient.ResponseReceiver<?> receiver = switch (method) {
            case "GET" -> c.get().uri(path);
            case "POST" -> c.post().uri(path).send(ByteBufFlux.fromString(Mono.just(body == null ? "" : body)));
            case "PUT" -> c.put().uri(path).send(ByteBufFlux.fromString(Mono.just(body == null ? "" : body)));
            default -> throw new IllegalArgumentException(method);
        };
        return receiver.responseSingle((res, buf) -> buf.asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .map(s -> new Reply(res.status().code(), res.responseHeaders(), s, null)))
                .onErrorResume(e -> Mono.just(new Reply(-1, null, null, e)));
    }

    Reply send(String method, String path, String body, Map<String, String> headers, Duration timeout) {
        return sendAsync(method, path, body, headers, timeout).block(timeout.plusSeconds(5));
    }

    /** The body chunks as they arrived and how the response ended, for streams that are cut. */
    record Streamed(int status, List<String> chunks, Throwable error) {}

    Streamed stream(String body, Duration timeout) {
        List<String> chunks = new ArrayList<>();
        int[] status = {-1};
        Throwable error = client.responseTimeout(timeout)
                .headers(h -> h.set("Authorization", "Bearer " + KEY)
                        .set("Content-Type", "application/json")
                        .set("Accept", SSE_ACCEPT))
                .post()
                .uri("/chats/v2")
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .response((res, content) -> {
                    status[0] = res.status().code();
                    return content.asString(StandardCharsets.UTF_8).doOnNext(chunks::add);
                })
                .then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(timeout.plusSeconds(5));
        return new Streamed(status[0], chunks, error);
    }

    @Override
    public void close() {
        pool.disposeLater().block(Duration.ofSeconds(5));
    }
}
