package dev.chatbridge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.tcp.SslProvider;

/**
 * The HTTP side of {@link RestSchemaRegistryClient}: one blocking call = a bounded number of attempts over the
 * configured URLs, with Confluent's headers and error answers.
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
 * <p>Threading: called from Kafka serializer threads (never from Netty's event loops, because it blocks). Thread-safe:
 * the Reactor Netty client is, and the preferred URL index is atomic. Secrets: the authorization header is set once on
 * the client and never appears in messages.
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
        if (config.truststoreLocation().isPresent()) {
            TrustManagerFactory trust = trustManagers(config);
            SslProvider.GenericSslContextSpec<?> tls =
                    Http11SslContextSpec.forClient().configure(builder -> builder.trustManager(trust));
            client = client.secure(spec -> spec.sslContext(tls));
        }
        this.http = client;
    }

    /**
     * One registry call: the 2xx answer, or a {@link SchemaRegistryException} for a 4xx answer, or after the attempts
     * are spent.
     *
     * @param path already encoded, starting with '/'
     * @param body JSON request body, or null
     */
    Answer call(HttpMethod method, String path, String body) {
        long deadline = System.nanoTime() + config.callTimeout().toNanos();
        int attempts = config.maxRetries() + 1;
        int start = preferred.get();
        List<String> failures = new ArrayList<>();
        Answer last5xx = null;
        Throwable lastError = null;
        int attempt = 0;
        for (; attempt < attempts; attempt++) {
            if (attempt > 0) {
                Duration wait = backoff(attempt);
                if (remaining(deadline).compareTo(wait) <= 0) {
                    failures.add("no time left for another attempt within " + RegistryClientConfig.CALL_TIMEOUT_MS + "="
                            + config.callTimeout().toMillis());
                    break;
                }
                pause(wait, method, path);
            }
            int index = (start + attempt) % urls.size();
            URI base = urls.get(index);
            try {
                Duration timeout = remaining(deadline);
                Answer answer = attempt(
                        base, method, path, body, timeout.compareTo(attemptTimeout) < 0 ? timeout : attemptTimeout);
                if (answer.status() < 500) {
                    preferred.set(index);
                    if (answer.status() >= 300) {
                        throw error(answer, method, path);
                    }
                    return answer;
                }
                last5xx = answer;
                lastError = null;
                failures.add(base + " answered " + answer.status());
            } catch (SchemaRegistryException e) {
                throw e;
            } catch (RuntimeException e) {
                Throwable cause = Exceptions.unwrap(e);
                if (cause instanceof HttpBodies.TooLargeException) {
                    preferred.set(index);
                    throw new SchemaRegistryException(
                            "Schema registry at " + base + " answered " + method + " " + path
                                    + " with more than " + MAX_ANSWER_BYTES
                                    + " bytes, more than one schema should take: the"
                                    + " schema cannot be used (is " + RegistryClientConfig.SCHEMA_REGISTRY_URL
                                    + " pointing at a schema registry?)",
                            200,
                            SchemaRegistryException.ANSWER_TOO_LARGE,
                            cause);
                }
                last5xx = null;
                lastError = cause;
                failures.add(base + " (" + describe(cause) + ")");
            }
            LOG.warn(
                    "Schema registry call {} {} failed (attempt {} of {}): {}",
                    method,
                    path,
                    attempt + 1,
                    attempts,
                    failures.get(failures.size() - 1));
        }
        int made = Math.min(attempt, attempts);
        if (last5xx != null) {
            SchemaRegistryException answerError = error(last5xx, method, path);
            throw new SchemaRegistryException(
                    answerError.getMessage() + " after " + made + " attempts (" + String.join(", ", failures) + ")",
                    last5xx.status(),
                    answerError.errorCode());
        }
        throw new SchemaRegistryException(
                "Schema registry could not be reached for " + method + " " + path + " after "
                        + made + " attempts: " + String.join(", ", failures) + ". Check "
                        + RegistryClientConfig.SCHEMA_REGISTRY_URL
                        + ", that the registry is running and reachable from this host, and its TLS settings ("
                        + RegistryClientConfig.SSL_TRUSTSTORE_LOCATION + ")",
                lastError);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private Answer attempt(URI base, HttpMethod method, String path, String body, Duration timeout) {
        String url = base.toString().replaceAll("/+$", "") + path;
        HttpClient.RequestSender request = http.request(method).uri(url);
        HttpClient.ResponseReceiver<?> receiver = body == null
                ? request
                : request.send(
                        ByteBufFlux.fromString(Mono.just(body), StandardCharsets.UTF_8, ByteBufAllocator.DEFAULT));
        Answer answer = receiver.response((response, content) -> {
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
                .block(timeout);
        if (answer == null) {
            throw new IllegalStateException("no answer");
        }
        return answer;
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
        long wait = config.retryWait().toMillis();
        long cap = config.retryMaxWait().toMillis();
        int doublings = Math.min(retry - 1, 30);
        long delay = wait > (cap >> doublings) ? cap : Math.min(cap, wait << doublings);
        return Duration.ofMillis(delay);
    }

    private static void pause(Duration delay, HttpMethod method, String path) {
        if (delay.isZero()) {
            return;
        }
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(
                    "Interrupted while waiting to retry schema registry call " + method + " " + path, e);
        }
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + abbreviate(message));
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
    }

    private static TrustManagerFactory trustManagers(RegistryClientConfig config) {
        String location = RegistryClientConfig.SSL_TRUSTSTORE_LOCATION;
        try (InputStream in = Files.newInputStream(config.truststoreLocation().orElseThrow())) {
            KeyStore store = KeyStore.getInstance(config.truststoreType());
            store.load(in, config.truststorePassword());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(
                    location + "=" + config.truststoreLocation().orElseThrow() + " cannot be loaded as "
                            + config.truststoreType() + " (" + e.getClass().getSimpleName() + "): check "
                            + RegistryClientConfig.SSL_TRUSTSTORE_TYPE + " and "
                            + RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD);
        }
    }
}
