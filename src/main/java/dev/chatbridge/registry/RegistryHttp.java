package dev.chatbridge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.transport.Backoff;
import dev.chatbridge.transport.TlsClientContext;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.retry.Retry;

/**
 * The HTTP side of {@link RestSchemaRegistryClient}: one call = a bounded number of attempts over the configured URLs,
 * with Confluent's headers and error answers. The attempts and the backoffs between them are Reactor operators (a
 * {@code retryWhen} whose waits are timers, not sleeps); only the caller, a synchronous serde, waits once for the
 * call's end.
 *
 * <p>Retry policy: an attempt that cannot connect, times out, or gets a 5xx answer is retried up to {@code max.retries}
 * times, each retry on the next URL of the list, after a backoff of {@code retries.wait.ms * 2^(retry-1)} capped at
 * {@code retries.max.wait.ms}. A 4xx answer is final. Each attempt is bounded by the connect and read timeouts (plus a
 * margin), and the whole call, backoffs included, by {@code schema.registry.call.timeout.ms}: no attempt or backoff
 * goes past it, so a call takes at most that long (default 5 s; with the defaults of 2 s connect and 3 s read, a
 * registry that never answers gets one full attempt and a second one cut short). The URL that last answered is tried
 * first by the next call.
 *
 * <p>Answers are read up to {@value #MAX_ANSWER_BYTES} bytes: a successful answer that is longer fails with
 * {@link SchemaRegistryException#ANSWER_TOO_LARGE} (not retried: it would be as long again); an error answer that is
 * longer keeps its status, and its body is left out.
 *
 * <p>Threading: called from Kafka serializer threads (never from Netty's event loops, because {@link #call} waits for
 * the end). Thread-safe: the Reactor Netty client is, and the preferred URL index is atomic. Secrets: the authorization
 * header is set once on the client and never appears in messages.
 */
final class RegistryHttp implements AutoCloseable {

    /** An answer: status and body. */
    record Answer(int status, String body) {}

    static final String V1_JSON = "application/vnd.schemaregistry.v1+json";
    static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";
    /**
     * 1 MiB. An answer holds one schema: real ones are a few KiB (the largest we know of, tens of KiB), and the text is
     * parsed twice (JSON, then Avro) on a stream thread for every new id, so 8 MiB per hostile id was a lot of memory
     * and time for nothing.
     */
    static final int MAX_ANSWER_BYTES = 1024 * 1024;

    private static final Duration ATTEMPT_MARGIN = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(RegistryHttp.class);

    private final RegistryClientConfig config;
    private final List<URI> urls;
    private final ConnectionProvider connections;
    private final HttpClient http;
    private final Duration attemptTimeout;
    private final ObjectMapper json;
    private final AtomicInteger preferred = new AtomicInteger();

    RegistryHttp(RegistryClientConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        this.urls = config.urls();
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("A REST registry client needs http(s) URLs, got " + config);
        }
        Duration perAttempt = config.connectTimeout().plus(config.readTimeout());
        this.attemptTimeout = perAttempt.plus(ATTEMPT_MARGIN);
        // Before the pool: a truststore that does not load leaves nothing open.
        TlsClientContext tls = config.truststoreLocation().isPresent()
                        || urls.stream().anyMatch(url -> "https".equals(url.getScheme()))
                ? tls(config)
                : null;
        this.connections = ConnectionProvider.builder("chat-bridge-schema-registry")
                .maxConnections(16)
                .pendingAcquireMaxCount(256)
                .pendingAcquireTimeout(perAttempt)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        String authorization = config.authorizationHeader().orElse(null);
        HttpClient client = HttpClient.create(connections)
                .option(
                        ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        Math.toIntExact(config.connectTimeout().toMillis()))
                .responseTimeout(config.readTimeout())
                .headers(headers -> {
                    headers.set(HttpHeaderNames.CONTENT_TYPE, V1_JSON);
                    headers.set(HttpHeaderNames.ACCEPT, ACCEPT);
                    if (authorization != null) {
                        headers.set(HttpHeaderNames.AUTHORIZATION, authorization);
                    }
                });
        if (tls != null) {
            client = tls.secure(client);
        }
        this.http = client;
    }

    /**
     * One registry call: the 2xx answer, or a {@link SchemaRegistryException} for a 4xx answer, or after the attempts
     * are spent. The attempts and the waits between them run on Reactor Netty's event loops and Reactor's timers; the
     * calling thread only waits for the end, which the call timeout bounds.
     *
     * @param path already encoded, starting with '/'
     * @param body JSON request body, or null
     */
    Answer call(HttpMethod method, String path, String body) {
        try {
            // The edge of a synchronous API (Kafka serdes): every attempt has a timeout and no wait goes past the
            // call's deadline, so the margin is only a safety net.
            return callAsync(method, path, body).block(config.callTimeout().plus(ATTEMPT_MARGIN));
        } catch (RuntimeException e) {
            if (Exceptions.unwrap(e) instanceof InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(
                        "Interrupted while waiting for schema registry call " + method + " " + path, interrupted);
            }
            throw e;
        }
    }

    /** {@link #call} without blocking: the answer, or the same {@link SchemaRegistryException}. */
    private Mono<Answer> callAsync(HttpMethod method, String path, String body) {
        return Mono.defer(() -> {
            Attempts attempts = new Attempts(method, path);
            return Mono.defer(() -> attempts.next(body))
                    .retryWhen(Retry.from(
                            signals -> signals.concatMap(signal -> attempts.waitBeforeRetry(signal.failure()))));
        });
    }

    /** A failed attempt that may be retried: a 5xx answer, or no answer at all. */
    private static final class RetriableAttempt extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final transient Answer answer;

        RetriableAttempt(String what, Answer answer, Throwable cause) {
            super(what, cause, false, false);
            this.answer = answer;
        }
    }

    /**
     * The state of one call's attempts. Reactor runs an attempt and the decision after it one at a time (each
     * resubscription happens after the previous attempt ended), so the fields need no lock; they are volatile because
     * attempts may run on different threads.
     */
    private final class Attempts {

        private final HttpMethod method;
        private final String path;
        private final long deadline;
        private final int limit = config.maxRetries() + 1;
        private final int start = preferred.get();
        private final List<String> failures = new ArrayList<>();
        private volatile int made;
        private volatile Answer last5xx;
        private volatile Throwable lastError;

        /** The attempts of a call starting now: its deadline is the call timeout from now. */
        Attempts(HttpMethod method, String path) {
            this.method = method;
            this.path = path;
            this.deadline = System.nanoTime() + config.callTimeout().toNanos();
        }

        /** The next attempt, on the next URL of the list. */
        Mono<Answer> next(String body) {
            int index = (start + made) % urls.size();
            made++;
            URI base = urls.get(index);
            Duration timeout = remaining(deadline);
            return attempt(base, method, path, body, timeout.compareTo(attemptTimeout) < 0 ? timeout : attemptTimeout)
                    .onErrorMap(error -> !(error instanceof HttpBodies.TooLargeException), error -> {
                        Throwable cause = Exceptions.unwrap(error);
                        return new RetriableAttempt(base + " (" + describe(cause) + ")", null, cause);
                    })
                    .onErrorMap(HttpBodies.TooLargeException.class, tooLarge -> {
                        preferred.set(index);
                        return new SchemaRegistryException(
                                "Schema registry at " + base + " answered " + method + " " + path
                                        + " with more than " + MAX_ANSWER_BYTES
                                        + " bytes, more than one schema should take: the"
                                        + " schema cannot be used (is " + RegistryClientConfig.SCHEMA_REGISTRY_URL
                                        + " pointing at a schema registry?)",
                                200,
                                SchemaRegistryException.ANSWER_TOO_LARGE,
                                tooLarge);
                    })
                    .flatMap(answer -> {
                        if (answer.status() >= 500) {
                            return Mono.error(
                                    new RetriableAttempt(base + " answered " + answer.status(), answer, null));
                        }
                        preferred.set(index);
                        return answer.status() >= 300 ? Mono.error(error(answer, method, path)) : Mono.just(answer);
                    });
        }

        /** After a failed attempt: the wait before the next one, or the call's final failure. */
        Mono<Long> waitBeforeRetry(Throwable failure) {
            if (!(failure instanceof RetriableAttempt retriable)) {
                return Mono.error(failure);
            }
            last5xx = retriable.answer;
            lastError = retriable.getCause();
            failures.add(retriable.getMessage());
            LOG.warn(
                    "Schema registry call {} {} failed (attempt {} of {}): {}",
                    method,
                    path,
                    made,
                    limit,
                    retriable.getMessage());
            if (made >= limit) {
                return Mono.error(exhausted());
            }
            Duration wait = backoff(made);
            if (remaining(deadline).compareTo(wait) <= 0) {
                failures.add("no time left for another attempt within " + RegistryClientConfig.CALL_TIMEOUT_MS + "="
                        + config.callTimeout().toMillis());
                return Mono.error(exhausted());
            }
            return Mono.delay(wait);
        }

        private SchemaRegistryException exhausted() {
            if (last5xx != null) {
                SchemaRegistryException answerError = error(last5xx, method, path);
                return new SchemaRegistryException(
                        answerError.getMessage() + " after " + made + " attempts (" + String.join(", ", failures) + ")",
                        last5xx.status(),
                        answerError.errorCode());
            }
            return new SchemaRegistryException(
                    "Schema registry could not be reached for " + method + " " + path + " after "
                            + made + " attempts: " + String.join(", ", failures) + ". Check "
                            + RegistryClientConfig.SCHEMA_REGISTRY_URL
                            + ", that the registry is running and reachable from this host, and its TLS settings ("
                            + RegistryClientConfig.SSL_TRUSTSTORE_LOCATION + ")",
                    lastError);
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private Mono<Answer> attempt(URI base, HttpMethod method, String path, String body, Duration timeout) {
        String url = base.toString().replaceAll("/+$", "") + path;
        HttpClient.RequestSender request = http.request(method).uri(url);
        HttpClient.ResponseReceiver<?> receiver = body == null
                ? request
                : request.send(
                        ByteBufFlux.fromString(Mono.just(body), StandardCharsets.UTF_8, ByteBufAllocator.DEFAULT));
        return receiver.response((response, content) -> {
                    int status = response.status().code();
                    return HttpBodies.read(content, MAX_ANSWER_BYTES)
                            .map(bytes -> new Answer(status, new String(bytes, StandardCharsets.UTF_8)))
                            .onErrorResume(
                                    HttpBodies.TooLargeException.class,
                                    e -> status < 300
                                            ? Mono.error(e)
                                            : Mono.just(new Answer(
                                                    status,
                                                    "(error body over " + MAX_ANSWER_BYTES + " bytes left out)")));
                })
                .next()
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("no answer")))
                .timeout(
                        timeout,
                        Mono.error(() -> new TimeoutException("no answer within " + timeout.toMillis() + " ms")));
    }

    /** The registry's error answer as an exception: Confluent's code when the body has one, else -1. */
    SchemaRegistryException error(Answer answer, HttpMethod method, String path) {
        int code = SchemaRegistryException.NO_ERROR_CODE;
        String message;
        try {
            JsonNode node = json.readTree(answer.body());
            if (node != null && node.has("error_code")) {
                code = node.path("error_code").asInt(SchemaRegistryException.NO_ERROR_CODE);
                message = node.path("message").asText("");
            } else {
                message = "not a registry error: " + abbreviate(answer.body());
            }
        } catch (IOException e) {
            message = "not a registry error: " + abbreviate(answer.body());
        }
        String hint = switch (answer.status()) {
            case 401 ->
                ". Check " + RegistryClientConfig.BASIC_AUTH_USER_INFO + " / " + RegistryClientConfig.BEARER_AUTH_TOKEN
                        + " and " + RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE;
            case 403 -> ". The credentials are valid but lack permission for this subject";
            default -> "";
        };
        return new SchemaRegistryException(
                "Schema registry answered " + answer.status() + " to " + method + " " + path + ": " + message
                        + " (error code " + code + ")" + hint,
                answer.status(),
                code);
    }

    @Override
    public void close() {
        connections.disposeLater().block(Duration.ofSeconds(5));
    }

    private Duration backoff(int retry) {
        return Backoff.exponential(config.retryWait(), config.retryMaxWait(), retry);
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + abbreviate(message));
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
    }

    /**
     * The registry's TLS: its truststore (the JDK's when none is set), no client certificate, a handshake bounded by
     * the connect timeout.
     *
     * @throws dev.chatbridge.config.InvalidConfigurationException when the truststore cannot be loaded (naming the
     *     settings, never the password)
     */
    private static TlsClientContext tls(RegistryClientConfig config) {
        TlsClientContext.TrustStoreFile store = config.truststoreLocation()
                .map(path -> new TlsClientContext.TrustStoreFile(
                        path,
                        config.truststoreType(),
                        config.truststorePassword(),
                        RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                        RegistryClientConfig.SSL_TRUSTSTORE_TYPE,
                        RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD))
                .orElse(null);
        return TlsClientContext.create(store, null, config.connectTimeout());
    }
}
