package dev.chatbridge.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.transport.TlsClientContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.resources.ConnectionProvider;

/**
 * The /chats/v2 client: one attempt per {@link #call(ChatRequest)}, non-blocking, on Reactor Netty with a bounded
 * connection pool ({@code maxInFlight} connections). Retries are the engine's. The returned {@code Mono} never errors;
 * every failure is a {@link CallOutcome} classified as docs/architecture.md ("What each API answer becomes") says.
 * Cancelling it aborts the exchange (the connection is closed). Time limits: connect, first body byte, idle gap,
 * attempt deadline.
 *
 * <p>Waiting for a connection: at most {@code maxPendingAcquires} calls wait for one of the {@code maxInFlight} pooled
 * connections, each for at most {@code pendingAcquireTimeout}. The client counts its calls itself (a call beyond
 * {@code maxInFlight + maxPendingAcquires} fails at once, before it reaches the pool) and lets the pool bound only the
 * wait, whose expiry the pool reports as a {@link TimeoutException}: both are told apart with public types, not with
 * the pool's own exception classes, which Reactor Netty keeps in an internal package.
 *
 * <p>The API key goes into the {@code Authorization} header and nowhere else: messages, excerpts and logs are scrubbed
 * of it, and logs carry neither prompts nor answers.
 *
 * <p>Threads: {@code call} may be invoked from any thread; the exchange runs on Netty event loops and the outcome is
 * emitted there (or on a Reactor timer thread when a time limit expires). Instances are immutable apart from the pool,
 * which is thread-safe.
 */
public final class ChatClient implements ChatApi, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChatClient.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /** The body of a key check: no messages, so an API that accepts the key refuses it as invalid. */
    static final String KEY_CHECK_BODY = "{\"messages\":[]}";

    private static final byte[] KEY_CHECK_BYTES = KEY_CHECK_BODY.getBytes(StandardCharsets.UTF_8);

    private final ChatClientConfig config;
    private final ObjectMapper mapper;
    private final ConnectionProvider pool;
    private final HttpClient http;
    private final ResponseReader reader;
    private final String secret;
    private final CallTimings timings;
    private final AtomicLong keyChecks = new AtomicLong();
    /** Calls in an exchange: holding a pooled connection or waiting for one. */
    private final Semaphore admitted;

    private final AnswerBudget budget;

    /** A client with the system clock (for {@code Retry-After} dates). */
    public ChatClient(ChatClientConfig config) {
        this(config, Clock.systemUTC());
    }

    /** A client whose {@code Retry-After} dates are read relative to {@code clock}. */
    public ChatClient(ChatClientConfig config, Clock clock) {
        this(config, clock, CallTimings.NONE);
    }

    /** A client that also reports the timings of its calls to {@code timings}. */
    public ChatClient(ChatClientConfig config, Clock clock, CallTimings timings) {
        this.config = Objects.requireNonNull(config, "config");
        this.timings = Objects.requireNonNull(timings, "timings");
        this.secret = config.apiKey().secret();
        this.mapper = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
        this.budget = new AnswerBudget(config.answerMemoryBytes());
        this.reader = new ResponseReader(config, mapper, Objects.requireNonNull(clock, "clock"), this::redact, budget);
        this.admitted = new Semaphore(config.maxInFlight() + config.maxPendingAcquires());
        this.pool = ConnectionProvider.builder("chat-api")
                .maxConnections(config.maxInFlight())
                // Unbounded here: the client bounds waiting calls itself (see admitted).
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(config.pendingAcquireTimeout())
                .maxIdleTime(config.maxIdleTime())
                .evictInBackground(config.maxIdleTime())
                .metrics(true)
                .build();
        HttpClient client = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + secret)
                        .set(HttpHeaderNames.ACCEPT, "text/event-stream, application/json")
                        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .set(HttpHeaderNames.USER_AGENT, config.userAgent()));
        if ("https".equals(config.baseUrl().getScheme())) {
            client = tls(config).secure(client);
        }
        this.http = client;
    }

    @Override
    public Mono<CallOutcome> call(ChatRequest request) {
        Objects.requireNonNull(request, "request");
        return Mono.defer(() -> attempt(request))
                .onErrorResume(error -> Mono.just(transportFailure(error)))
                .map(outcome -> outcome instanceof CallOutcome.Refused r ? Refusals.classify(r, request) : outcome)
                .doOnNext(outcome -> LOG.debug("call for request {} ended: {}", request.getRequestId(), kind(outcome)));
    }

    private Mono<CallOutcome> attempt(ChatRequest request) {
        String invalid = invalidHeader(request);
        if (invalid != null) {
            return Mono.just(
                    new CallOutcome.PermanentFailure(DeadLetterReason.INVALID_REQUEST, null, null, null, invalid));
        }
        byte[] body = requestBody(request);
        // Before the watchdog and the exchange are built (the body first: building it may throw, and then no place
        // is held). Released in doFinally below.
        if (!admitted.tryAcquire()) {
            return Mono.just(new CallOutcome.RetriableFailure(
                    CallOutcome.RetryCause.OTHER,
                    null,
                    null,
                    null,
                    "no pooled connection free and maxPendingAcquires " + config.maxPendingAcquires()
                            + " calls already waiting for one (maxInFlight " + config.maxInFlight() + ")"));
        }
        Watchdog watchdog = new Watchdog(
                Schedulers.parallel(), config.firstByteTimeout(), config.idleTimeout(), config.attemptTimeout());
        AtomicLong startedNanos = new AtomicLong();
        AtomicBoolean sawAnswerBytes = new AtomicBoolean();
        Mono<CallOutcome> exchange = http.headers(h -> {
                    h.set("X-Request-Id", request.getRequestId());
                    if (request.getAccount() != null) {
                        h.set("unleash-account", request.getAccount());
                    }
                })
                .post()
                .uri(config.endpoint())
                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                .response((response, content) -> reader.read(response, content.doOnNext(chunk -> {
                    watchdog.onBytes();
                    if (response.status().code() / 100 == 2 && sawAnswerBytes.compareAndSet(false, true)) {
                        timings.firstByte(Duration.ofNanos(System.nanoTime() - startedNanos.get()));
                    }
                })))
                .next()
                .switchIfEmpty(Mono.fromSupplier(() -> new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.RESET, null, null, null, "the exchange ended without an answer")))
                .onErrorResume(error -> Mono.just(transportFailure(error)));
        Mono<CallOutcome> expired = watchdog.expired()
                .map(message -> new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT, null, null, null, "timed out: " + message));
        return Mono.firstWithSignal(exchange, expired)
                .doOnSubscribe(subscription -> {
                    startedNanos.set(System.nanoTime());
                    watchdog.start();
                })
                .doFinally(signal -> {
                    watchdog.dispose();
                    admitted.release();
                });
    }

    /**
     * The synthetic key check: {@code POST /chats/v2} with the body {@value #KEY_CHECK_BODY}, the deployment's key, no
     * {@code unleash-account} and an {@code X-Request-Id} of {@code chat-bridge-key-check-<n>}. The API checks the key
     * before the body, so an accepted key gets a 400 (no messages) and costs no model call and no user's quota; a
     * refused key gets 401/403, a wrong base URL 404/405 or a redirect. Its body is read and dropped; it ends within
     * {@code firstByteTimeout}.
     */
    @Override
    public Mono<KeyCheck> checkKey() {
        String id = "chat-bridge-key-check-" + keyChecks.incrementAndGet();
        return http.headers(h -> h.set("X-Request-Id", id))
                .post()
                .uri(config.endpoint())
                .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(KEY_CHECK_BYTES)))
                .response((response, content) -> content.then(Mono.fromSupplier(() -> keyCheck(
                        response.status().code(), response.responseHeaders().get(HttpHeaderNames.LOCATION)))))
                .next()
                .timeout(
                        config.firstByteTimeout(),
                        Mono.fromSupplier(() -> new KeyCheck(
                                KeyCheck.Verdict.UNKNOWN,
                                null,
                                "the key check got no answer: timed out: no answer within firstByteTimeout "
                                        + config.firstByteTimeout())))
                .onErrorResume(error -> Mono.just(new KeyCheck(
                        KeyCheck.Verdict.UNKNOWN,
                        null,
                        "the key check got no answer: "
                                + transportFailure(error).message())))
                .defaultIfEmpty(new KeyCheck(KeyCheck.Verdict.UNKNOWN, null, "the key check got no answer"));
    }

    private KeyCheck keyCheck(int status, String location) {
        if (status == 401 || status == 403) {
            return new KeyCheck(
                    KeyCheck.Verdict.REFUSED,
                    status,
                    "the API refused the API key itself (HTTP " + status
                            + " to a key check without account): check chat.api.key (its file or environment variable) and"
                            + " that the key is not revoked");
        }
        if (status == 404 || status == 405) {
            return new KeyCheck(
                    KeyCheck.Verdict.REFUSED,
                    status,
                    "the API answered " + status + " for " + config.endpoint()
                            + " to a key check: the endpoint is not there, check chat.api.url");
        }
        if (status >= 300 && status < 400) {
            return new KeyCheck(
                    KeyCheck.Verdict.REFUSED,
                    status,
                    "the API redirected a key check for "
                            + config.endpoint() + " with HTTP " + status + " to "
                            + (location == null ? "nowhere" : redact(location))
                            + ": set chat.api.url to the final address");
        }
        if (status == 408 || status == 425 || status == 429 || status >= 500 || status < 200) {
            return new KeyCheck(
                    KeyCheck.Verdict.UNKNOWN,
                    status,
                    "the API answered a key check with HTTP " + status + ", a transient failure");
        }
        return KeyCheck.accepted(status);
    }

    /** The heap budget shared by the answers of this client's calls in flight. */
    AnswerBudget answerBudget() {
        return budget;
    }

    /** Closes the connection pool, waiting at most 10 s. */
    @Override
    public void close() {
        pool.disposeLater().block(CLOSE_TIMEOUT);
    }

    @Override
    public String toString() {
        return "ChatClient[" + config.endpoint() + "]";
    }

    private CallOutcome.RetriableFailure transportFailure(Throwable failure) {
        // A TLS alert from the server (such as a refused client certificate) arrives wrapped by the decoder.
        Throwable error = failure instanceof DecoderException && failure.getCause() instanceof SSLException
                ? failure.getCause()
                : failure;
        String detail = error.getMessage() == null ? error.getClass().getSimpleName() : redact(error.getMessage());
        String message;
        CallOutcome.RetryCause cause;
        if (error instanceof ConnectTimeoutException) {
            cause = CallOutcome.RetryCause.TIMEOUT;
            message = "timed out: no connection to " + config.baseUrl() + " within connectTimeout "
                    + config.connectTimeout();
        } else if (error instanceof ConnectException) {
            cause = CallOutcome.RetryCause.CONNECT;
            message = "cannot connect to " + config.baseUrl() + ": " + detail;
        } else if (error instanceof PrematureCloseException) {
            cause = CallOutcome.RetryCause.RESET;
            message = "the connection closed before the answer was complete: " + detail;
        } else if (error instanceof SslHandshakeTimeoutException) {
            cause = CallOutcome.RetryCause.TIMEOUT;
            message = "timed out: no TLS handshake with " + config.baseUrl() + " within connectTimeout "
                    + config.connectTimeout();
        } else if (error instanceof SSLException) {
            cause = CallOutcome.RetryCause.CONNECT;
            message = "TLS with " + config.baseUrl() + " failed: " + detail;
        } else if (error instanceof TimeoutException) {
            // Only the pool's pendingAcquireTimeout: the other time limits are the watchdog's, which never errors.
            cause = CallOutcome.RetryCause.TIMEOUT;
            message = "timed out: no pooled connection free within pendingAcquireTimeout "
                    + config.pendingAcquireTimeout();
        } else if (error instanceof IOException) {
            cause = CallOutcome.RetryCause.RESET;
            message = "the connection failed: " + detail;
        } else {
            LOG.warn(
                    "unexpected failure of a call to {}: {}: {}",
                    config.endpoint(),
                    error.getClass().getName(),
                    detail);
            cause = CallOutcome.RetryCause.OTHER;
            message = "unexpected failure (" + error.getClass().getName() + "): " + detail;
        }
        return new CallOutcome.RetriableFailure(cause, null, null, null, message);
    }

    private String redact(String text) {
        return text.replace(secret, "[redacted]");
    }

    private static String invalidHeader(ChatRequest request) {
        if (!headerSafe(request.getRequestId())) {
            return "requestId cannot be sent as the X-Request-Id header (control or non-ASCII characters)";
        }
        if (request.getAccount() != null && (request.getAccount().isBlank() || !headerSafe(request.getAccount()))) {
            return "account cannot be sent as the unleash-account header (blank, control or non-ASCII characters)";
        }
        return null;
    }

    private static boolean headerSafe(String value) {
        return value.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7F));
    }

    private byte[] requestBody(ChatRequest request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = mapper.createGenerator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("messages");
            for (ChatMessage message : request.getMessages()) {
                json.writeStartObject();
                json.writeStringField("text", message.getText());
                json.writeStringField("role", message.getRole().name());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeStringField("assistantId", request.getAssistantId());
            json.writeStringField("threadId", request.getThreadId());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        return out.toByteArray();
    }

    /**
     * The TLS of the API: the custom truststore (the JDK's when none), the client certificate for mutual TLS (none when
     * not configured), and a handshake bounded by {@code connectTimeout}. Verification of the server is never off.
     */
    private static TlsClientContext tls(ChatClientConfig config) {
        ChatClientConfig.TrustStore store = config.trustStore();
        TlsClientContext.TrustStoreFile trust = store == null
                ? null
                : new TlsClientContext.TrustStoreFile(
                        store.path(),
                        store.type(),
                        store.password() == null ? null : store.password().toCharArray(),
                        ChatBridgeConfig.API_TRUSTSTORE_LOCATION,
                        ChatBridgeConfig.API_TRUSTSTORE_TYPE,
                        ChatBridgeConfig.API_TRUSTSTORE_PASSWORD);
        ClientKeyMaterial client = config.clientKeyMaterial();
        TlsClientContext.ClientKey key =
                client == null ? null : new TlsClientContext.ClientKey(client.key(), client.chain());
        return TlsClientContext.create(trust, key, config.connectTimeout());
    }

    private static String kind(CallOutcome outcome) {
        if (outcome instanceof CallOutcome.PermanentFailure f) {
            return "permanent " + f.reason() + " status=" + f.httpStatus();
        }
        if (outcome instanceof CallOutcome.RetriableFailure f) {
            return "retriable status=" + f.httpStatus();
        }
        if (outcome instanceof CallOutcome.OperatorFailure f) {
            return "operator status=" + f.httpStatus();
        }
        if (outcome instanceof CallOutcome.Refused f) {
            return "refused " + f.suspect() + " status=" + f.httpStatus();
        }
        return "success";
    }
}
