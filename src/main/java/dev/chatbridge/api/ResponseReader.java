package dev.chatbridge.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClientResponse;

/**
 * Turns one HTTP answer (status, headers, body) into a {@link CallOutcome}, as docs/architecture.md ("What each API
 * answer becomes") says. Bodies are read with a size bound; a 2xx body is parsed as it arrives as one JSON answer
 * ({@link JsonAnswer}) or as an event stream of answer objects ({@link SseAnswer}), its heap reserved in the client's
 * shared {@link AnswerBudget} until the call ends, however it ends.
 *
 * <p>Thread-safe; the per-answer state lives in {@link JsonAnswer} and {@link SseAnswer}.
 */
final class ResponseReader {

    /**
     * Largest error body (400 and refusal problem details) read whole, in bytes: 1 MiB. Problem details are not
     * answers, so this does not follow {@code chat.api.max.answer.bytes}; a larger body keeps only an excerpt.
     */
    static final int MAX_ERROR_BODY_BYTES = 1024 * 1024;

    private final ChatClientConfig config;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final UnaryOperator<String> redact;
    private final AnswerBudget budget;

    ResponseReader(
            ChatClientConfig config,
            ObjectMapper mapper,
            Clock clock,
            UnaryOperator<String> redact,
            AnswerBudget budget) {
        this.config = config;
        this.budget = budget;
        this.mapper = mapper;
        this.clock = clock;
        this.redact = redact;
    }

    Mono<CallOutcome> read(HttpClientResponse response, Flux<ByteBuf> body) {
        int status = response.status().code();
        if (status >= 200 && status < 300) {
            String mediaType = mediaType(response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE));
            // An answer stopped early leaves bytes unread: its connection is closed, never pooled again.
            AtomicBoolean whole = new AtomicBoolean();
            Flux<ByteBuf> tracked = body.doOnComplete(() -> whole.set(true));
            Runnable closeUnlessWhole = () -> {
                if (!whole.get() && response instanceof Connection connection) {
                    connection.dispose(); // Reactor Netty's response is its connection
                }
            };
            if ("text/event-stream".equals(mediaType)) {
                return Mono.using(
                                budget::open,
                                reservation -> new SseAnswer(config, mapper, redact, status, budget, reservation)
                                        .read(tracked),
                                AnswerBudget.Reservation::close)
                        .doFinally(signal -> closeUnlessWhole.run());
            }
            if (isJson(mediaType)) {
                boolean problem = mediaType.equals("application/problem+json");
                return Mono.using(
                                budget::open,
                                reservation -> new JsonAnswer(
                                                config,
                                                mapper,
                                                redact,
                                                this::problemDetails,
                                                status,
                                                problem,
                                                budget,
                                                reservation)
                                        .read(tracked),
                                AnswerBudget.Reservation::close)
                        .doFinally(signal -> closeUnlessWhole.run());
            }
            return collect(body, config.excerptBytes())
                    .map(bytes -> new CallOutcome.PermanentFailure(
                            DeadLetterReason.UNPARSEABLE_RESPONSE,
                            status,
                            null,
                            excerpt(bytes),
                            "the API answered " + status + " with content type '" + mediaType
                                    + "', neither application/json nor text/event-stream"));
        }
        if (status == 400) {
            return collect(body, MAX_ERROR_BODY_BYTES).map(this::badRequest);
        }
        if (status == 401 || status == 403 || status == 404 || (status >= 300 && status < 400)) {
            String location = response.responseHeaders().get(HttpHeaderNames.LOCATION);
            return collect(body, MAX_ERROR_BODY_BYTES).map(bytes -> refusal(status, location, bytes));
        }
        if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) {
            Duration retryAfter = parseRetryAfter(response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), clock);
            return collect(body, config.excerptBytes())
                    .map(bytes -> new CallOutcome.RetriableFailure(
                            status,
                            retryAfter,
                            excerpt(bytes),
                            "the API answered HTTP " + status + " "
                                    + response.status().reasonPhrase() + ", a transient failure"));
        }
        return collect(body, config.excerptBytes())
                .map(bytes -> new CallOutcome.PermanentFailure(
                        DeadLetterReason.REJECTED,
                        status,
                        null,
                        excerpt(bytes),
                        "the API rejected the request with HTTP " + status + " "
                                + response.status().reasonPhrase()));
    }

    /**
     * A 3xx, 401, 403 or 404: the request's own refusal or the deployment's, which only a key check can tell. The
     * problem details are kept (or an excerpt when there are none); {@link Refusals} names the likely cause once the
     * request is known.
     */
    private CallOutcome refusal(int status, String location, BodyBytes bytes) {
        ProblemDetails problem = bytes.truncated() ? null : problemDetails(bytes.bytes());
        String where =
                status >= 300 && status < 400 ? " to " + (location == null ? "nowhere" : redact.apply(location)) : "";
        return new CallOutcome.Refused(
                status,
                CallOutcome.Suspect.UNKNOWN,
                problem,
                problem == null ? excerpt(bytes) : null,
                "the API answered HTTP " + status + where + " for " + config.endpoint());
    }

    private CallOutcome badRequest(BodyBytes bytes) {
        ProblemDetails problem = bytes.truncated() ? null : problemDetails(bytes.bytes());
        if (problem == null) {
            return new CallOutcome.PermanentFailure(
                    DeadLetterReason.BAD_REQUEST,
                    400,
                    null,
                    excerpt(bytes),
                    bytes.truncated()
                            ? "the API rejected the request as bad (HTTP 400) with a body over " + MAX_ERROR_BODY_BYTES
                                    + " bytes: only an excerpt is kept, not its problem details"
                            : "the API rejected the request as bad (HTTP 400) without problem details");
        }
        StringBuilder message = new StringBuilder("the API rejected the request as bad (HTTP 400)");
        if (problem.getTitle() != null) {
            message.append(": ").append(problem.getTitle());
        }
        if (problem.getDetail() != null) {
            message.append(problem.getTitle() == null ? ": " : " - ").append(problem.getDetail());
        }
        return new CallOutcome.PermanentFailure(
                DeadLetterReason.BAD_REQUEST, 400, problem, null, redact.apply(message.toString()));
    }

    /** Every member of a problem-details object; null when the body is not a JSON object. */
    ProblemDetails problemDetails(byte[] body) {
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (IOException e) {
            return null; // not JSON: the caller keeps an excerpt of the body instead
        }
        if (node == null || !node.isObject()) {
            return null;
        }
        ObjectNode extensions = mapper.createObjectNode();
        ProblemDetails.Builder problem = ProblemDetails.newBuilder();
        for (Map.Entry<String, JsonNode> member : node.properties()) {
            JsonNode value = member.getValue();
            boolean kept = switch (member.getKey()) {
                case "type" -> keepText(value, problem::setType);
                case "title" -> keepText(value, problem::setTitle);
                case "detail" -> keepText(value, problem::setDetail);
                case "instance" -> keepText(value, problem::setInstance);
                case "status" -> {
                    if (value.isNull() || (value.isIntegralNumber() && value.canConvertToInt())) {
                        problem.setStatus(value.isNull() ? null : value.intValue());
                        yield true;
                    }
                    yield false;
                }
                case "errors" -> {
                    Map<String, List<String>> errors = errors(value);
                    if (errors != null || value.isNull()) {
                        problem.setErrors(errors);
                        yield true;
                    }
                    yield false;
                }
                default -> false;
            };
            if (!kept) {
                extensions.set(member.getKey(), value);
            }
        }
        problem.setExtensionsJson(extensions.isEmpty() ? null : extensions.toString());
        return problem.build();
    }

    private static boolean keepText(JsonNode value, Consumer<String> setter) {
        if (value.isNull() || value.isTextual()) {
            setter.accept(value.isNull() ? null : value.textValue());
            return true;
        }
        return false;
    }

    /** The errors map, or null when the member does not have the documented shape. */
    private static Map<String, List<String>> errors(JsonNode value) {
        if (!value.isObject()) {
            return null;
        }
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            if (!entry.getValue().isArray()) {
                return null;
            }
            List<String> messages = new ArrayList<>();
            for (JsonNode message : entry.getValue()) {
                if (!message.isTextual()) {
                    return null;
                }
                messages.add(message.textValue());
            }
            errors.put(entry.getKey(), messages);
        }
        return errors;
    }

    private Mono<BodyBytes> collect(Flux<ByteBuf> body, int limit) {
        BodyBytes bytes = new BodyBytes(limit);
        return body.takeUntil(chunk -> !bytes.add(chunk)).then(Mono.fromSupplier(() -> bytes));
    }

    private String excerpt(BodyBytes bytes) {
        String excerpt = bytes.excerpt(config.excerptBytes());
        return excerpt == null ? null : redact.apply(excerpt);
    }

    /** The media type without parameters, lower case; "" when absent. */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
                .strip()
                .toLowerCase(Locale.ROOT);
    }

    private static boolean isJson(String mediaType) {
        return mediaType.equals("application/json")
                || mediaType.equals("text/json")
                || (mediaType.startsWith("application/") && mediaType.endsWith("+json"));
    }

    /**
     * A {@code Retry-After} value: delta-seconds, or an HTTP-date relative to {@code clock} (a date in the past gives
     * zero); null when absent or invalid.
     */
    static Duration parseRetryAfter(String value, Clock clock) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String trimmed = value.strip();
        if (trimmed.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return trimmed.length() > 12 ? null : Duration.ofSeconds(Long.parseLong(trimmed));
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration delay = Duration.between(clock.instant(), at.toInstant());
            return delay.isNegative() ? Duration.ZERO : delay;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
