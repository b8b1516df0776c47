package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code POST /chats/v2}: authentication, media types, body validation, then a fault (by marker or by configured rate)
 * or an answer, SSE or JSON by {@code Accept}.
 *
 * <p>Order of checks: rejected keys (401), quotas (429 with {@code Retry-After}: burst, calls in progress, requests per
 * second; see {@link Quotas}), refused accounts (403, {@code refusedAccounts}), content type (415), body size (413),
 * body validation (400), then faults and answers. The latency model (times the queueing factor of {@link Quotas})
 * delays everything after validation; the checks before answer at once. A call admitted by the quotas holds its slot
 * until it ends, whatever its outcome.
 *
 * <p>Threading: {@link #handle} runs on Netty event-loop threads and continues on Reactor timer threads; shared state
 * lives in {@link StatsRecorder} and {@link Dice} (each under its own monitor) and in the {@code rejectAllKeys} flag
 * (atomic).
 */
final class ChatHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ChatHandler.class);
    private static final Pattern JSON_SUFFIX = Pattern.compile("application/[^/;\\s]+\\+json");
    private static final int MAX_ID_LENGTH = 200;
    /** The header naming the account a call acts on behalf of. */
    static final String ACCOUNT_HEADER = "unleash-account";
    /** Where {@code #fault:302} sends the client: a login page, as an SSO gateway does. */
    static final String LOGIN_PATH = "/_sim/login";

    private static final byte[] ERROR_200 =
            "{\"error\":{\"code\":\"model_overloaded\",\"message\":\"The model is overloaded.\"}}"
                    .getBytes(StandardCharsets.UTF_8);
    private static final byte[] PROBLEM_200 = ("{\"title\":\"Service Unavailable\",\"status\":503,"
                    + "\"detail\":\"The service is temporarily unavailable. Try again later.\"}")
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    private final SimulatorConfig config;
    private final ObjectMapper json;
    private final StatsRecorder stats;
    private final Dice dice;
    private final Answers answers;
    private final Replies replies;
    private final AtomicBoolean rejectAllKeys;
    private final Quotas quotas;
    private final AtomicLong ids = new AtomicLong();

    ChatHandler(
            SimulatorConfig config,
            ObjectMapper json,
            StatsRecorder stats,
            Dice dice,
            Replies replies,
            AtomicBoolean rejectAllKeys,
            Quotas quotas) {
        this.config = config;
        this.json = json;
        this.stats = stats;
        this.dice = dice;
        this.answers = new Answers(json);
        this.replies = replies;
        this.rejectAllKeys = rejectAllKeys;
        this.quotas = quotas;
    }

    Mono<Void> handle(HttpServerRequest req, HttpServerResponse res) {
        StatsRecorder.Call call = stats.callStarted();
        Quotas.Hold hold = quotas.hold();
        return Replies.untilClientGone(res, Mono.defer(() -> checkThenServe(req, res, call, hold)))
                .doOnError(e -> {
                    call.outcome("error");
                    LOG.error("simulator failed to serve a call", e);
                })
                .doFinally(s -> {
                    hold.release();
                    call.finish();
                });
    }

    private Mono<Void> checkThenServe(
            HttpServerRequest req, HttpServerResponse res, StatsRecorder.Call call, Quotas.Hold hold) {
        if (rejectAllKeys.get() || !config.accepts(bearer(req))) {
            call.outcome("401");
            String challenge = bearer(req) == null ? "Bearer" : "Bearer error=\"invalid_token\"";
            return replies.problem(
                    res,
                    Duration.ZERO,
                    401,
                    "The API key is missing, not valid or revoked.",
                    Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), challenge));
        }
        Optional<Quotas.Refusal> refusal = quotas.admit(hold);
        if (refusal.isPresent()) {
            Quotas.Refusal r = refusal.get();
            call.outcome("429");
            stats.quotaRefused(r.cause());
            return replies.problem(
                    res,
                    Duration.ZERO,
                    429,
                    r.detail(),
                    Map.of(HttpHeaderNames.RETRY_AFTER.toString(), Integer.toString(r.retryAfterSeconds())));
        }
        if (config.refuses(req.requestHeaders().get(ACCOUNT_HEADER))) {
            call.outcome("403");
            return accountProblem(res, Duration.ZERO, 403, boundedHeader(req, ACCOUNT_HEADER));
        }
        if (!isJson(req.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE))) {
            call.outcome("415");
            return replies.problem(
                    res,
                    Duration.ZERO,
                    415,
                    "Request bodies must be application/json, text/json or application/*+json.",
                    Map.of());
        }
        int max = config.maxBodyBytes();
        return req.receive()
                .asByteArray()
                .collect(() -> new Body(max), Body::add)
                .flatMap(body -> {
                    if (body.overflow) {
                        call.outcome("413");
                        return replies.problem(
                                res,
                                Duration.ZERO,
                                413,
                                "The request body is larger than " + max + " bytes.",
                                Map.of("connection", "close"));
                    }
                    byte[] bytes = body.out.toByteArray();
                    ChatBody parsed = ChatBody.parse(json, bytes);
                    if (parsed instanceof ChatBody.Invalid
                            && boundedHeader(req, ACCOUNT_HEADER) == null
                            && ChatBody.isKeyProbe(json, bytes)) {
                        stats.probe();
                    }
                    return validated(req, res, call, parsed);
                });
    }

    private Mono<Void> validated(
            HttpServerRequest req, HttpServerResponse res, StatsRecorder.Call call, ChatBody body) {
        if (body instanceof ChatBody.Invalid invalid) {
            call.outcome("400");
            return replies.validation(res, Duration.ZERO, invalid.errors());
        }
        ChatBody.Valid valid = (ChatBody.Valid) body;
        String correlation = boundedHeader(req, "X-Request-Id");
        String requestId = String.format(Locale.ROOT, "sim-%08d", ids.incrementAndGet());
        String threadKey = valid.threadId() != null
                ? valid.threadId()
                : "request:" + (correlation != null ? correlation : requestId);
        call.joinThread(
                threadKey,
                new ReceivedCall(correlation, requestId, valid.lastText(), boundedHeader(req, "unleash-account")));
        Duration latency = quotas.queued(dice.latency());
        Optional<FaultMarker> marker = FaultMarker.parse(valid.lastText());
        if (marker.isPresent()) {
            String attemptKey =
                    correlation != null ? "id:" + correlation : "text:" + valid.threadId() + "\n" + valid.lastText();
            if (stats.nextAttempt(attemptKey) <= marker.get().attempts()) {
                return fault(marker.get(), req, res, call, valid, requestId, threadKey, latency, 1);
            }
        } else {
            Optional<FaultMarker.Kind> drawn = dice.fault();
            if (drawn.isPresent()) {
                FaultMarker random = new FaultMarker(drawn.get(), 1, null);
                return fault(
                        random,
                        req,
                        res,
                        call,
                        valid,
                        requestId,
                        threadKey,
                        latency,
                        config.faultRates().retryAfterSeconds());
            }
        }
        return answer(req, res, call, valid, requestId, threadKey, latency, -1, Duration.ZERO);
    }

    private Mono<Void> fault(
            FaultMarker marker,
            HttpServerRequest req,
            HttpServerResponse res,
            StatsRecorder.Call call,
            ChatBody.Valid valid,
            String requestId,
            String threadKey,
            Duration latency,
            int retryAfterSeconds) {
        FaultMarker.Kind kind = marker.kind();
        long huge = config.hugeAnswerBytes();
        call.outcome(kind.status > 0 ? Integer.toString(kind.status) : kind.marker);
        switch (kind) {
            case BAD_REQUEST -> {
                String path = "messages[" + (valid.messages().size() - 1) + "].text";
                return replies.validation(
                        res,
                        latency,
                        Map.of(path, List.of("The text contains content the assistant does not accept.")));
            }
            case BAD_REQUEST_HUGE -> {
                return replies.hugeValidation(res, latency, valid.messages().size() - 1);
            }
            case TOO_MANY_REQUESTS -> {
                return replies.problem(
                        res,
                        latency,
                        429,
                        "Rate limit exceeded. Try again later.",
                        Map.of(HttpHeaderNames.RETRY_AFTER.toString(), Integer.toString(retryAfterSeconds)));
            }
            case TOO_MANY_REQUESTS_DATE -> {
                String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(2).truncatedTo(ChronoUnit.SECONDS));
                return replies.problem(
                        res,
                        latency,
                        429,
                        "Rate limit exceeded. Try again later.",
                        Map.of(HttpHeaderNames.RETRY_AFTER.toString(), date));
            }
            case METHOD_NOT_ALLOWED -> {
                return replies.problem(res, latency, 405, "The method is not allowed here.", Map.of("Allow", "POST"));
            }
            case BAD_GATEWAY, GATEWAY_TIMEOUT -> {
                return replies.gatewayPage(res, latency, kind.status);
            }
            case RESET -> {
                return replies.cutAfter(res, latency, true);
            }
            case HANG -> {
                return replies.cutAfter(res, config.maxStall(), true);
            }
            case MALFORMED -> {
                if (!wantsEventStream(req)) {
                    return replies.malformedJson(res, latency);
                }
                List<String> events =
                        new ArrayList<>(events(spec(valid, requestId, threadKey, stats.peekTurn(threadKey))));
                events.add(1, "{\"text\": \"unterminated");
                return replies.sse(res, latency, config.chunkInterval(), events, -1, Duration.ZERO, -1);
            }
            case MIDSTREAM -> {
                List<String> events = events(spec(valid, requestId, threadKey, stats.peekTurn(threadKey)));
                int keep = Math.max(1, events.size() / 2);
                return replies.sse(res, latency, config.chunkInterval(), events, -1, Duration.ZERO, keep);
            }
            case SLOW -> {
                Duration delay = marker.delay() == null ? config.slowDelay() : marker.delay();
                return answer(
                        req, res, call, valid, requestId, threadKey, min(delay, config.maxStall()), -1, Duration.ZERO);
            }
            case STALL -> {
                return answer(req, res, call, valid, requestId, threadKey, latency, 0, config.stallPause());
            }
            case FORBIDDEN_ACCOUNT, UNAUTHORIZED_ACCOUNT -> {
                return accountProblem(res, latency, kind.status, boundedHeader(req, ACCOUNT_HEADER));
            }
            case ASSISTANT_NOT_FOUND -> {
                return notFound(res, latency, "assistant", "Assistant", "assistantId", valid.assistantId());
            }
            case THREAD_NOT_FOUND -> {
                return notFound(res, latency, "thread", "Thread", "threadId", valid.threadId());
            }
            case HUGE -> {
                return replies.streamed(res, latency, Replies.JSON, huge, HugeBodies.toolCalls(huge));
            }
            case HUGE_SSE -> {
                return wantsEventStream(req)
                        ? replies.streamed(res, latency, Replies.SSE, -1, HugeBodies.toolCallEvents(huge))
                        : replies.streamed(res, latency, Replies.JSON, huge, HugeBodies.toolCalls(huge));
            }
            case HUGE_TEXT -> {
                return replies.streamed(
                        res,
                        latency,
                        Replies.JSON,
                        HugeBodies.textSize(huge, requestId),
                        HugeBodies.text(huge, requestId));
            }
            case EMPTY_200 -> {
                return replies.body(res, latency, 200, Replies.JSON, EMPTY_OBJECT);
            }
            case ERROR_200 -> {
                return replies.body(res, latency, 200, Replies.JSON, ERROR_200);
            }
            case PROBLEM_200 -> {
                return replies.body(res, latency, 200, Problems.MEDIA_TYPE, PROBLEM_200);
            }
            case SSE_EMPTY_200 -> {
                return wantsEventStream(req)
                        ? replies.sse(
                                res, latency, config.chunkInterval(), List.of("{}", "{}", "{}"), -1, Duration.ZERO, -1)
                        : replies.body(res, latency, 200, Replies.JSON, EMPTY_OBJECT);
            }
            case SSE_BAD_UTF8_200 -> {
                List<byte[]> payloads = new ArrayList<>();
                events(spec(valid, requestId, threadKey, stats.peekTurn(threadKey)))
                        .forEach(e -> payloads.add(e.getBytes(StandardCharsets.UTF_8)));
                payloads.add(Math.min(1, payloads.size()), badUtf8(requestId));
                return wantsEventStream(req)
                        ? replies.rawSse(res, latency, config.chunkInterval(), payloads)
                        : replies.body(res, latency, 200, Replies.JSON, badUtf8(requestId));
            }
            case FOUND -> {
                return replies.redirect(res, latency, LOGIN_PATH + "?return=%2Fchats%2Fv2");
            }
            case UNAUTHORIZED -> {
                return replies.problem(
                        res,
                        latency,
                        401,
                        detail(401),
                        Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer error=\"invalid_token\""));
            }
            default -> {
                return replies.problem(res, latency, kind.status, detail(kind.status), Map.of());
            }
        }
    }

    private Mono<Void> answer(
            HttpServerRequest req,
            HttpServerResponse res,
            StatsRecorder.Call call,
            ChatBody.Valid valid,
            String requestId,
            String threadKey,
            Duration latency,
            int pauseAfter,
            Duration pause) {
        call.outcome("200");
        Answers.Spec spec = spec(valid, requestId, threadKey, stats.nextTurn(threadKey));
        if (wantsEventStream(req)) {
            List<String> events = answers.stream(spec, config.chunks()).stream()
                    .map(ObjectNode::toString)
                    .toList();
            stats.recordSent(requestId, events);
            return replies.sse(res, latency, config.chunkInterval(), events, pauseAfter, pause, -1);
        }
        String single = answers.single(spec).toString();
        stats.recordSent(requestId, List.of(single));
        return replies.jsonAnswer(res, latency.plus(pause), single);
    }

    private Answers.Spec spec(ChatBody.Valid valid, String requestId, String threadKey, long turn) {
        String text = valid.lastText();
        return new Answers.Spec(
                requestId, valid.threadId(), turn, valid.lastUserText(), text != null && text.contains("#tools"));
    }

    private List<String> events(Answers.Spec spec) {
        return answers.stream(spec, config.chunks()).stream()
                .map(ObjectNode::toString)
                .toList();
    }

    /**
     * The refusal of the account a call acts for ({@code account}, from {@code unleash-account}, or null without the
     * header): 403 when the key may not impersonate it, 401 when the account is unknown or disabled (with a
     * {@code WWW-Authenticate} challenge).
     */
    private Mono<Void> accountProblem(HttpServerResponse res, Duration delay, int status, String header) {
        String account = header == null ? null : header.trim();
        if (status == 403) {
            String detail = account != null
                    ? "The API key may not act on behalf of '" + account + "'."
                    : "The API key may not act on behalf of an account, and the request names none:" + " the "
                            + ACCOUNT_HEADER + " header is missing.";
            return replies.namedProblem(res, delay, 403, "impersonation-denied", detail, "account", account, Map.of());
        }
        String detail = account != null
                ? "The account '" + account + "' is unknown or disabled."
                : "The request names no account (the " + ACCOUNT_HEADER + " header is missing),"
                        + " and the API key alone does not identify one.";
        return replies.namedProblem(
                res,
                delay,
                401,
                "unknown-account",
                detail,
                "account",
                account,
                Map.of(
                        HttpHeaderNames.WWW_AUTHENTICATE.toString(),
                        "Bearer realm=\"chats\", error=\"invalid_token\","
                                + " error_description=\"unknown or disabled account\""));
    }

    /** A 404 naming the {@code what} the body asked for ({@code value} of {@code member}), or saying none was named. */
    private Mono<Void> notFound(
            HttpServerResponse res, Duration delay, String type, String what, String member, String value) {
        String detail = value != null
                ? what + " '" + value + "' was not found."
                : what + " was not found: the request names none (" + member + " is missing).";
        return replies.namedProblem(res, delay, 404, type + "-not-found", detail, member, value, Map.of());
    }

    /** A JSON answer object whose text holds bytes that are not UTF-8 (a lone lead byte, 0xFF, 0xFE). */
    private static byte[] badUtf8(String requestId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("{\"text\":\"Caf".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28});
        out.writeBytes(" au lait ".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xFE});
        out.writeBytes(("\",\"requestId\":\"" + requestId + "\"}").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** True when {@code Accept} accepts {@code text/event-stream} (q above 0). */
    static boolean wantsEventStream(HttpServerRequest req) {
        String accept = req.requestHeaders().get(HttpHeaderNames.ACCEPT);
        if (accept == null) {
            return false;
        }
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            if (!parts[0].trim().equalsIgnoreCase(Replies.SSE)) {
                continue;
            }
            boolean refused = false;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim().toLowerCase(Locale.ROOT);
                if (p.startsWith("q=")) {
                    refused = parseQ(p.substring(2)) <= 0.0;
                }
            }
            if (!refused) {
                return true;
            }
        }
        return false;
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        return type.equals("application/json")
                || type.equals("text/json")
                || JSON_SUFFIX.matcher(type).matches();
    }

    private static double parseQ(String q) {
        try {
            return Double.parseDouble(q.trim());
        } catch (NumberFormatException e) {
            return 0.0;
        }
    }

    private static String bearer(HttpServerRequest req) {
        String auth = req.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null || auth.length() < 7 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = auth.substring(7).trim();
        return key.isEmpty() ? null : key;
    }

    private static String boundedHeader(HttpServerRequest req, String name) {
        String v = req.requestHeaders().get(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        return v.length() > MAX_ID_LENGTH ? v.substring(0, MAX_ID_LENGTH) : v;
    }

    private static String detail(int status) {
        return switch (status) {
            case 401 -> "The API key is missing, not valid or revoked.";
            case 403 -> "The caller may not use this assistant or impersonate this account.";
            case 404 -> "No resource matches the request path.";
            case 408 -> "The server timed out waiting for the request.";
            case 409 -> "The thread is being updated by another request.";
            case 413 -> "The request body is too large.";
            case 415 -> "The request media type is not supported.";
            case 422 -> "The request was well-formed but could not be processed.";
            case 425 -> "The server is unwilling to risk processing a request that might be replayed.";
            case 500 -> "An unexpected error occurred.";
            case 503 -> "The service is temporarily unavailable.";
            default -> Problems.title(status);
        };
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** A request body read up to a bound; beyond it, bytes are drained and dropped. */
    private static final class Body {
        private final int max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private boolean overflow;

        Body(int max) {
            this.max = max;
        }

        void add(byte[] bytes) {
            if (out.size() + bytes.length > max) {
                overflow = true;
            } else if (!overflow) {
                out.write(bytes, 0, bytes.length);
            }
        }
    }
}
