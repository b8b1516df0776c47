package dev.chatbridge.devtools.simulator;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fault asked for by the text of the last message: {@code #fault:<kind>} or {@code #fault:<kind>x<N>} (the first N
 * attempts fail, default 1). {@code slow} also takes a delay in milliseconds: {@code #fault:slow3000} or
 * {@code #fault:slow3000x2}.
 *
 * @param kind what goes wrong
 * @param attempts how many attempts of the request get the fault (unlimited for the kinds that
 *     {@linkplain Kind#alwaysFails() always fail})
 * @param delay the delay of {@code slow<ms>}, or null for the configured one
 */
record FaultMarker(Kind kind, int attempts, Duration delay) {

    /** The largest N accepted in {@code x<N>}. */
    static final int MAX_ATTEMPTS = 1_000;

    private static final Pattern MARKER =
            Pattern.compile("#fault:([a-z0-9]+(?:-[a-z0-9]+)*)", Pattern.CASE_INSENSITIVE);
    private static final Pattern REPEAT = Pattern.compile("(.+?)x(\\d{1,4})");
    private static final Pattern SLOW = Pattern.compile("slow(\\d{1,7})");

    /** Every fault kind, by marker name. */
    enum Kind {
        BAD_REQUEST("400", 400),
        /** A 400 whose problem details are about {@link Problems#HUGE_PROBLEM_BYTES} long. */
        BAD_REQUEST_HUGE("400-huge", 400),
        UNAUTHORIZED("401", 401),
        /** A 401 naming the {@code unleash-account} as unknown or disabled. */
        UNAUTHORIZED_ACCOUNT("401-account", 401),
        FORBIDDEN("403", 403),
        /** A 403: the key may not act on behalf of the {@code unleash-account}. */
        FORBIDDEN_ACCOUNT("403-account", 403),
        NOT_FOUND("404", 404),
        /** A 404 naming the body's {@code assistantId}. */
        ASSISTANT_NOT_FOUND("404-assistant", 404),
        /** A 404 naming the body's {@code threadId}. */
        THREAD_NOT_FOUND("404-thread", 404),
        METHOD_NOT_ALLOWED("405", 405),
        REQUEST_TIMEOUT("408", 408),
        CONFLICT("409", 409),
        PAYLOAD_TOO_LARGE("413", 413),
        UNSUPPORTED_MEDIA_TYPE("415", 415),
        UNPROCESSABLE("422", 422),
        TOO_EARLY("425", 425),
        TOO_MANY_REQUESTS("429", 429),
        TOO_MANY_REQUESTS_DATE("429date", 429),
        INTERNAL_ERROR("500", 500),
        BAD_GATEWAY("502", 502),
        UNAVAILABLE("503", 503),
        GATEWAY_TIMEOUT("504", 504),
        RESET("reset", 0),
        HANG("hang", 0),
        MALFORMED("malformed", 200),
        MIDSTREAM("midstream", 200),
        SLOW("slow", 200),
        STALL("stall", 200),
        /** About {@code hugeAnswerBytes} of {@code {"toolCalls":[{},{},...]}} as one JSON body. */
        HUGE("huge", 200),
        /** The same amount as SSE events of tool calls (JSON when the client does not accept SSE). */
        HUGE_SSE("huge-sse", 200),
        /** A JSON answer whose {@code text} is {@code hugeAnswerBytes} long. */
        HUGE_TEXT("huge-text", 200),
        /** A 200 with {@code {}}. */
        EMPTY_200("200-empty", 200),
        /** A 200 with an {@code error} object instead of an answer. */
        ERROR_200("200-error", 200),
        /** A 200 with problem details (saying 503) instead of an answer. */
        PROBLEM_200("200-problem", 200),
        /** A 200 SSE stream of three {@code data: {}} events (JSON {@code {}} without SSE). */
        SSE_EMPTY_200("200-sse-empty", 200),
        /** A 200 SSE stream with bytes that are not UTF-8 inside a data line. */
        SSE_BAD_UTF8_200("200-sse-badutf8", 200),
        /** A 302 to another path of the simulator (a login page, as an SSO gateway sends). */
        FOUND("302", 302);

        final String marker;
        final int status;

        Kind(String marker, int status) {
            this.marker = marker;
            this.status = status;
        }

        static Optional<Kind> byMarker(String name) {
            for (Kind k : values()) {
                if (k.marker.equals(name)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }

        /**
         * True for kinds that fail every attempt, whatever N: a retry cannot make a bad request good, nor find an
         * assistant or thread that does not exist, nor grant an account.
         */
        boolean alwaysFails() {
            return this == BAD_REQUEST
                    || this == BAD_REQUEST_HUGE
                    || this == FORBIDDEN_ACCOUNT
                    || this == UNAUTHORIZED_ACCOUNT
                    || this == ASSISTANT_NOT_FOUND
                    || this == THREAD_NOT_FOUND;
        }

        /** True for kinds answered with an error status and a body, nothing else. */
        boolean isErrorStatus() {
            return status >= 400;
        }
    }

    /** The marker in {@code text}, or empty when there is none or it names no known kind. */
    static Optional<FaultMarker> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = MARKER.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        String spec = m.group(1).toLowerCase(Locale.ROOT);
        int attempts = 1;
        Matcher repeat = REPEAT.matcher(spec);
        if (repeat.matches() && !Kind.byMarker(spec).isPresent()) {
            spec = repeat.group(1);
            attempts = Math.max(1, Math.min(MAX_ATTEMPTS, Integer.parseInt(repeat.group(2))));
        }
        Matcher slow = SLOW.matcher(spec);
        if (slow.matches()) {
            return Optional.of(new FaultMarker(Kind.SLOW, attempts, Duration.ofMillis(Long.parseLong(slow.group(1)))));
        }
        int n = attempts;
        return Kind.byMarker(spec).map(kind -> new FaultMarker(kind, kind.alwaysFails() ? Integer.MAX_VALUE : n, null));
    }
}
