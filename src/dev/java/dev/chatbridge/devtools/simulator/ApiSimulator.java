package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A stand-in for the assistant API over real HTTP (Reactor Netty, non-blocking), for tests, the demo and benchmarks. It
 * serves {@code POST /chats/v2} as the vendor documents it (SSE or JSON answers, problem details, Bearer keys), injects
 * faults on demand ({@code #fault:<kind>[x<N>]} in the last message's text) or at configured rates, and records what it
 * saw.
 *
 * <p>Endpoints besides the API: {@code GET /_sim/stats} (a {@link SimulatorStats} as JSON, with every thread's history:
 * large), {@code GET /_sim/counters} (a {@link SimulatorCounters} as JSON: a few hundred bytes, cheap enough to poll),
 * {@code POST /_sim/reset}, {@code POST /_sim/auth?reject=true|false}, {@code POST /_sim/burst?calls=N&retryAfter=S} (a
 * Retry-After burst: {@link #retryAfterBurst}), and {@code /_sim/login} (any method: a 200 HTML login page, where
 * {@code #fault:302} sends clients). Other methods on {@code /chats/v2} get 405, other paths 404.
 *
 * <p>Threading: {@link #start()} and {@link #close()} belong to the owner's thread; every other public method may be
 * called from any thread while calls are served on Netty event loops.
 */
public final class ApiSimulator implements AutoCloseable {

    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final SimulatorConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final StatsRecorder stats;
    private final Dice dice;
    private final Replies replies;
    private final ChatHandler chat;
    private final AtomicBoolean rejectAllKeys = new AtomicBoolean();
    private final Quotas quotas;
    private DisposableServer server;

    /** A simulator with {@code config}; call {@link #start()} to serve. */
    public ApiSimulator(SimulatorConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.stats = new StatsRecorder(config.maxRecordedCalls(), config.maxTrackedThreads(), config.callTimings());
        this.dice = new Dice(config.seed(), config.latency(), config.faultRates());
        this.replies = new Replies(json, new Problems(json));
        this.quotas = new Quotas(config);
        this.chat = new ChatHandler(config, json, stats, dice, replies, rejectAllKeys, quotas);
    }

    /** Binds and starts serving (at most 10 s); returns this. */
    public synchronized ApiSimulator start() {
        if (server != null) {
            throw new IllegalStateException("simulator already started");
        }
        server = HttpServer.create()
                .host(config.host())
                .port(config.port())
                .route(routes -> routes.post("/chats/v2", chat::handle)
                        .route(
                                req -> "/chats/v2".equals(req.fullPath()) && !HttpMethod.POST.equals(req.method()),
                                (req, res) -> replies.problem(
                                        res, Duration.ZERO, 405, "Only POST is allowed here.", Map.of("Allow", "POST")))
                        .get("/_sim/stats", (req, res) -> replies.json(res, 200, stats.snapshot()))
                        .get("/_sim/counters", (req, res) -> replies.json(res, 200, stats.counters()))
                        .post("/_sim/reset", (req, res) -> {
                            reset();
                            return res.status(204).send();
                        })
                        .post("/_sim/auth", this::auth)
                        .post("/_sim/burst", this::burst)
                        .route(req -> ChatHandler.LOGIN_PATH.equals(req.fullPath()), this::login))
                .bindNow(BIND_TIMEOUT);
        return this;
    }

    /** {@code http://<host>:<port>}, once started. */
    public synchronized String baseUrl() {
        return "http://" + config.host() + ":" + port();
    }

    /** The bound port, once started. */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("simulator not started");
        }
        return server.port();
    }

    /** While on, every call of {@code POST /chats/v2} gets 401 (an operator-failure episode). */
    public void rejectAllKeys(boolean reject) {
        rejectAllKeys.set(reject);
    }

    /**
     * The next {@code calls} calls of {@code POST /chats/v2} with an accepted key get 429 problem details with
     * {@code Retry-After: retryAfterSeconds}, at once and whatever the load (a Retry-After burst, counted as
     * {@code burst} in {@link SimulatorCounters#quotaRefusals()}); replaces a running burst, 0 calls ends it. Also
     * {@code POST /_sim/burst?calls=N&retryAfter=S}.
     */
    public void retryAfterBurst(int calls, int retryAfterSeconds) {
        quotas.startBurst(calls, retryAfterSeconds);
    }

    /** Calls of {@code POST /chats/v2} admitted by the quotas and in progress now. */
    public int admittedInProgress() {
        return quotas.inProgress();
    }

    /** A snapshot of everything recorded since start or the last {@link #reset()}. */
    public SimulatorStats stats() {
        return stats.snapshot();
    }

    /**
     * The cumulative counters, including the integral of concurrency over time: cheap (no per-thread data), meant to be
     * read at the start and end of a measurement window.
     */
    public SimulatorCounters counters() {
        return stats.counters();
    }

    /**
     * Takes the {@link CallTiming}s recorded since the last call, oldest first; always empty unless
     * {@link SimulatorConfig.Builder#callTimings(int)} is on.
     */
    public List<CallTiming> drainCallTimings() {
        return stats.drainCallTimings();
    }

    /** Call timings dropped because more than {@code callTimings} were waiting to be drained. */
    public long droppedCallTimings() {
        return stats.droppedCallTimings();
    }

    /** The calls of {@code threadId} in arrival order ({@code "request:<id>"} for calls without thread). */
    public List<ReceivedCall> receivedOrder(String threadId) {
        return stats.receivedOrder(threadId);
    }

    /** Most calls in progress at once, over all threads. */
    public int peakConcurrency() {
        return stats.peakConcurrency();
    }

    /**
     * The JSON objects of the answer with this {@code requestId} (the simulator's id, carried in the answer), in the
     * order sent; one object for a JSON answer. Empty when the call got no full answer or was forgotten (only the last
     * {@code maxRecordedCalls} are kept). Recorded when the answer starts (as the JSON text written on the wire, parsed
     * again here), so a client that left early ({@code stall}, {@code slow}) may have received fewer.
     */
    public Optional<List<JsonNode>> sentChunks(String requestId) {
        return stats.sent(requestId)
                .map(texts -> texts.stream().map(this::parse).toList());
    }

    private JsonNode parse(String sent) {
        try {
            return json.readTree(sent);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the simulator recorded a chunk that is not JSON", e);
        }
    }

    /** Forgets stats, turns, fault attempts and sent chunks, and ends a running fault burst and Retry-After burst. */
    public void reset() {
        stats.reset();
        dice.reset();
        quotas.startBurst(0, 0);
    }

    /** Stops serving (at most 5 s); calls in progress are cut. Idempotent. */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.disposeNow(CLOSE_TIMEOUT);
        }
    }

    private Mono<Void> auth(HttpServerRequest req, HttpServerResponse res) {
        List<String> values = new QueryStringDecoder(req.uri()).parameters().get("reject");
        String value = values == null || values.isEmpty() ? "" : values.get(0);
        if (!value.equals("true") && !value.equals("false")) {
            return replies.json(res, 400, Map.of("error", "query parameter reject must be true or false"));
        }
        rejectAllKeys(Boolean.parseBoolean(value));
        return replies.json(res, 200, Map.of("rejectAllKeys", rejectAllKeys.get()));
    }

    private Mono<Void> burst(HttpServerRequest req, HttpServerResponse res) {
        Map<String, List<String>> params = new QueryStringDecoder(req.uri()).parameters();
        int calls = intParam(params, "calls", 1_000_000);
        int seconds = intParam(params, "retryAfter", 86_400);
        if (calls < 0 || seconds < 0) {
            return replies.json(
                    res,
                    400,
                    Map.of(
                            "error",
                            "query parameters calls (0 to 1000000) and retryAfter (seconds, 0 to 86400) are"
                                    + " required whole numbers"));
        }
        retryAfterBurst(calls, seconds);
        return replies.json(res, 200, Map.of("burstCalls", calls, "retryAfter", seconds));
    }

    /** The parameter as a whole number in [0, max], or -1 when missing, repeated or out of range. */
    private static int intParam(Map<String, List<String>> params, String name, int max) {
        List<String> values = params.get(name);
        if (values == null || values.size() != 1 || !values.get(0).matches("\\d{1,7}")) {
            return -1;
        }
        int value = Integer.parseInt(values.get(0));
        return value <= max ? value : -1;
    }

    /** The page an SSO gateway redirects to: 200 HTML, the classic 2xx that is not an answer. */
    private Mono<Void> login(HttpServerRequest req, HttpServerResponse res) {
        String page = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form method=\"post\""
                + " action=\"" + ChatHandler.LOGIN_PATH + "\"><input name=\"username\"><input name=\"password\""
                + " type=\"password\"><button>Sign in</button></form></body></html>\n";
        return replies.body(res, Duration.ZERO, 200, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ApiSimulator{" + config + "}";
    }
}
