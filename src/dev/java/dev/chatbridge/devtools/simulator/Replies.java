package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.server.HttpServerResponse;

/**
 * How each kind of reply goes on the wire: problem bodies, HTML gateway pages, JSON answers, SSE streams (optionally
 * cut, stalled or corrupted), resets and hangs. Every wait is a Reactor timer ({@code Mono.delay}), never a blocked
 * thread.
 *
 * <p>SSE framing: one {@code data: <json>\n\n} event per object; a {@code : keep-alive} comment before the first event;
 * an {@code event: message} line on every odd-numbered event; and the first event holding a multi-byte character is
 * written in two network writes split inside that character, so that clients must decode UTF-8 across buffer
 * boundaries.
 *
 * <p>Stateless and thread-safe; runs on Netty event-loop and Reactor timer threads.
 */
final class Replies {

    static final String SSE = "text/event-stream";
    static final String JSON = "application/json; charset=utf-8";
    private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final ObjectMapper json;
    private final Problems problems;

    Replies(ObjectMapper json, Problems problems) {
        this.json = json;
        this.problems = problems;
    }

    /** A problem-details reply after {@code delay}, with extra headers. */
    Mono<Void> problem(HttpServerResponse res, Duration delay, int status, String detail, Map<String, String> headers) {
        return afterDelay(
                delay, () -> sendBytes(res, status, Problems.MEDIA_TYPE, problems.status(status, detail), headers));
    }

    /** A 400 with validation errors. */
    Mono<Void> validation(HttpServerResponse res, Duration delay, Map<String, List<String>> errors) {
        return afterDelay(delay, () -> sendBytes(res, 400, Problems.MEDIA_TYPE, problems.validation(errors), Map.of()));
    }

    /** A 400 with about {@link Problems#HUGE_PROBLEM_BYTES} of problem details ({@code #fault:400-huge}). */
    Mono<Void> hugeValidation(HttpServerResponse res, Duration delay, int lastMessage) {
        return afterDelay(
                delay,
                () -> sendBytes(
                        res,
                        400,
                        Problems.MEDIA_TYPE,
                        problems.hugeValidation(lastMessage, Problems.HUGE_PROBLEM_BYTES),
                        Map.of()));
    }

    /**
     * Problem details of the API's own {@code type}, naming the account or resource concerned in the extension member
     * {@code member} (left out when {@code value} is null).
     */
    Mono<Void> namedProblem(
            HttpServerResponse res,
            Duration delay,
            int status,
            String type,
            String detail,
            String member,
            String value,
            Map<String, String> headers) {
        return afterDelay(
                delay,
                () -> sendBytes(
                        res,
                        status,
                        Problems.MEDIA_TYPE,
                        problems.named(status, type, detail, member, value),
                        headers));
    }

    /** Any body with any status and media type, as given. */
    Mono<Void> body(HttpServerResponse res, Duration delay, int status, String contentType, byte[] body) {
        return afterDelay(delay, () -> sendBytes(res, status, contentType, body, Map.of()));
    }

    /** A 302 to {@code location}, with the small HTML body servers add. */
    Mono<Void> redirect(HttpServerResponse res, Duration delay, String location) {
        String page = "<html><body>You are being <a href=\"" + location + "\">redirected</a>.</body></html>";
        return afterDelay(
                delay,
                () -> sendBytes(
                        res,
                        302,
                        "text/html; charset=utf-8",
                        page.getBytes(StandardCharsets.UTF_8),
                        Map.of(HttpHeaderNames.LOCATION.toString(), location)));
    }

    /**
     * A 200 whose body is streamed from {@code body} as the network takes it (backpressure: the next buffer is made
     * only when the channel can take it).
     *
     * @param length the Content-Length, or -1 for chunked transfer
     */
    Mono<Void> streamed(HttpServerResponse res, Duration delay, String contentType, long length, Flux<ByteBuf> body) {
        return afterDelay(
                delay,
                () -> Mono.defer(() -> {
                    res.status(200).header(HttpHeaderNames.CONTENT_TYPE, contentType);
                    if (length >= 0) {
                        res.header(HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
                    } else {
                        res.header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
                    }
                    return res.send(body).then();
                }));
    }

    /**
     * An SSE stream of raw {@code data} payloads, written as given (not necessarily UTF-8): a keep-alive comment, then
     * one {@code data: <payload>\n\n} event per payload, {@code interval} apart.
     */
    Mono<Void> rawSse(HttpServerResponse res, Duration delay, Duration interval, List<byte[]> payloads) {
        List<Flux<ByteBuf>> steps = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            byte[] payload = payloads.get(i);
            byte[] head = ((i == 0 ? ": keep-alive\n\n" : "") + "data: ").getBytes(StandardCharsets.UTF_8);
            Flux<ByteBuf> write = Flux.defer(() -> Flux.just(Unpooled.wrappedBuffer(head, payload, END_OF_EVENT)));
            Duration before = i == 0 ? delay : interval;
            steps.add(before.isZero() ? write : Mono.delay(before).thenMany(write));
        }
        return Mono.defer(() -> {
            res.status(200).header(HttpHeaderNames.CONTENT_TYPE, SSE).header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            return res.send(Flux.concat(steps), b -> true).then();
        });
    }

    /** An HTML error page as a gateway in front of the API writes it (502, 504). */
    Mono<Void> gatewayPage(HttpServerResponse res, Duration delay, int status) {
        String reason = Problems.title(status);
        String page = "<html>\r\n<head><title>" + status + " " + reason + "</title></head>\r\n<body>\r\n<center><h1>"
                + status + " " + reason + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        return afterDelay(
                delay, () -> sendBytes(res, status, "text/html", page.getBytes(StandardCharsets.UTF_8), Map.of()));
    }

    /** A plain JSON reply (admin endpoints). */
    Mono<Void> json(HttpServerResponse res, int status, Object body) {
        return sendBytes(res, status, JSON, write(body), Map.of());
    }

    /** The whole answer as one JSON object. */
    Mono<Void> jsonAnswer(HttpServerResponse res, Duration delay, String answer) {
        return afterDelay(delay, () -> sendBytes(res, 200, JSON, answer.getBytes(StandardCharsets.UTF_8), Map.of()));
    }

    /** A 200 whose body is not JSON although it says so. */
    Mono<Void> malformedJson(HttpServerResponse res, Duration delay) {
        byte[] body = "{\"text\": \"Turn 1 of thread ? : voilà".getBytes(StandardCharsets.UTF_8);
        return afterDelay(delay, () -> sendBytes(res, 200, JSON, body, Map.of()));
    }

    /**
     * An SSE answer.
     *
     * @param delay time to first byte
     * @param interval pause between events
     * @param events the objects to send, in order
     * @param pauseAfter index of the event after which to pause {@code pause} (or -1)
     * @param cutAfter number of events after which the connection is cut (or -1 for all)
     */
    Mono<Void> sse(
            HttpServerResponse res,
            Duration delay,
            Duration interval,
            List<String> events,
            int pauseAfter,
            Duration pause,
            int cutAfter) {
        List<Flux<ByteBuf>> steps = new ArrayList<>();
        boolean split = false;
        int count = cutAfter < 0 ? events.size() : Math.min(cutAfter, events.size());
        for (int i = 0; i < count; i++) {
            Duration before = i == 0 ? delay : (i - 1 == pauseAfter ? pause : interval);
            StringBuilder frame = new StringBuilder();
            if (i == 0) {
                frame.append(": keep-alive\n\n");
            }
            if (i % 2 == 1) {
                frame.append("event: message\n");
            }
            frame.append("data: ").append(events.get(i)).append("\n\n");
            byte[] bytes = frame.toString().getBytes(StandardCharsets.UTF_8);
            int at = split ? -1 : insideMultiByte(bytes);
            split |= at > 0;
            Flux<ByteBuf> writes = Flux.defer(() -> at > 0
                    ? Flux.just(slice(bytes, 0, at), slice(bytes, at, bytes.length))
                    : Flux.just(slice(bytes, 0, bytes.length)));
            steps.add(before.isZero() ? writes : Mono.delay(before).thenMany(writes));
        }
        Flux<ByteBuf> body = Flux.concat(steps);
        if (cutAfter >= 0) {
            Duration beforeCut = interval.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : interval;
            body = body.concatWith(Mono.delay(beforeCut).then(Mono.<ByteBuf>fromRunnable(() -> cut(res, false))));
        }
        Flux<ByteBuf> frames = body;
        return Mono.defer(() -> {
            res.status(200).header(HttpHeaderNames.CONTENT_TYPE, SSE).header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            return res.send(frames, b -> true).then();
        });
    }

    /** Cuts the connection after {@code delay} without any reply ({@code rst}: with a TCP reset). */
    Mono<Void> cutAfter(HttpServerResponse res, Duration delay, boolean rst) {
        return afterDelay(delay, () -> Mono.fromRunnable(() -> cut(res, rst)));
    }

    /**
     * Runs {@code work} until it completes or the client's connection closes, whichever comes first, so that a call the
     * client gave up on ends (and stops counting as concurrent) at once.
     */
    static Mono<Void> untilClientGone(HttpServerResponse res, Mono<Void> work) {
        return Mono.defer(() -> {
            Sinks.Empty<Void> gone = Sinks.empty();
            ChannelFutureListener listener = f -> gone.tryEmitEmpty();
            List<Channel> channel = new ArrayList<>(1);
            res.withConnection(c -> {
                channel.add(c.channel());
                c.channel().closeFuture().addListener(listener);
            });
            return Mono.firstWithSignal(work, gone.asMono())
                    .doFinally(s -> channel.forEach(ch -> ch.closeFuture().removeListener(listener)));
        });
    }

    private static void cut(HttpServerResponse res, boolean rst) {
        res.withConnection(c -> {
            if (rst) {
                c.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            }
            c.channel().close();
        });
    }

    private static Mono<Void> afterDelay(Duration delay, Supplier<Mono<Void>> then) {
        return delay.isZero() ? Mono.defer(then) : Mono.delay(delay).then(Mono.defer(then));
    }

    private static Mono<Void> sendBytes(
            HttpServerResponse res, int status, String contentType, byte[] body, Map<String, String> headers) {
        return Mono.defer(() -> {
            res.status(status)
                    .header(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
            headers.forEach(res::header);
            return res.sendByteArray(Mono.just(body)).then();
        });
    }

    private byte[] write(Object body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON reply", e);
        }
    }

    /** Index of the first UTF-8 continuation byte (inside a multi-byte character), or -1. */
    private static int insideMultiByte(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if ((bytes[i] & 0xC0) == 0x80) {
                return i;
            }
        }
        return -1;
    }

    private static ByteBuf slice(byte[] bytes, int from, int to) {
        return Unpooled.wrappedBuffer(bytes, from, to - from);
    }
}
