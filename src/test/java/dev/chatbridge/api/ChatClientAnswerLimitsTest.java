package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.events.DeadLetterReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * ChatClient over loopback: answers stop early at the byte limit and the item caps (the server sees its connection
 * closed before it finished sending), and the heap budget shared by the calls in flight is reserved as bytes arrive,
 * fails a call retriably when it is used up, and is returned on every path.
 */
class ChatClientAnswerLimitsTest extends ChatClientTestSupport {

    private static final int MIB = 1024 * 1024;

    /** A server that streams a large body in 64 KiB chunks and records whether it got to the end. */
    private static final class Streamer {
        final AtomicBoolean finished = new AtomicBoolean();
        final AtomicBoolean cutOff = new AtomicBoolean();
        final AtomicLong sent = new AtomicLong();

        LoopbackServer.Handler handler(String contentType, byte[] head, byte[] repeated, byte[] tail, int total) {
            return (request, response) -> response.status(200)
                    .header("Content-Type", contentType)
                    .send(
                            body(head, repeated, tail, total)
                                    .doOnNext(chunk -> sent.addAndGet(chunk.readableBytes()))
                                    .doOnComplete(() -> finished.set(true))
                                    .doOnCancel(() -> cutOff.set(true))
                                    .doOnError(error -> cutOff.set(true)),
                            chunk -> true)
                    .then()
                    .doOnError(error -> cutOff.set(true))
                    .onErrorResume(error -> Mono.empty());
        }

        static Flux<ByteBuf> body(byte[] head, byte[] repeated, byte[] tail, int total) {
            int chunk = 64 * 1024 / repeated.length * repeated.length;
            byte[] block = new byte[chunk];
            for (int i = 0; i < chunk; i += repeated.length) {
                System.arraycopy(repeated, 0, block, i, repeated.length);
            }
            int blocks = Math.max(1, (total - head.length - tail.length) / chunk);
            return Flux.concat(
                    Mono.fromSupplier(() -> Unpooled.wrappedBuffer(head)),
                    Flux.range(0, blocks).map(i -> Unpooled.wrappedBuffer(block)),
                    Mono.fromSupplier(() -> Unpooled.wrappedBuffer(tail)));
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // --- early stop ---

    @Test
    void shouldStopReadingAndCloseTheConnectionWhenTheAnswerPassesTheByteLimit() {
        // Given: 16.5 MB of text, a limit of 64 KiB
        Streamer streamer = new Streamer();
        LoopbackServer server =
                server(streamer.handler(LoopbackServer.JSON, utf8("{\"text\":\""), utf8("x"), utf8("\"}"), 16_500_000));
        ChatClient client = client(server, b -> b.maxAnswerBytes(64 * 1024));

        // When
        CallOutcome outcome = call(client, request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message())
                    .isEqualTo("the JSON answer is larger than maxAnswerBytes 65536"
                            + " (setting chat.api.max.answer.bytes); the rest was not read");
        });
        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(streamer.cutOff).as("server send cut off").isTrue());
        assertThat(streamer.finished).as("server finished sending").isFalse();
        assertThat(streamer.sent.get()).as("bytes the server got out").isLessThan(16_500_000);
        await().atMost(WAIT).until(() -> server.closedConnections() >= 1);
        await().atMost(WAIT).until(() -> client.answerBudget().used() == 0);
    }

    @Test
    void shouldStopAtTheToolCallCapWhenAnAnswerIsSixteenMegabytesOfEmptyToolCalls() {
        // Given: the answer of the incident, {"toolCalls":[{},{},...]} of 16.5 MB
        Streamer streamer = new Streamer();
        LoopbackServer server = server(
                streamer.handler(LoopbackServer.JSON, utf8("{\"toolCalls\":[{}"), utf8(",{}"), utf8("]}"), 16_500_000));
        ChatClient client = client(server, b -> b.maxAnswerBytes(32 * MIB).answerMemoryBytes(512L * MIB));

        // When
        CallOutcome outcome = call(client, request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message())
                    .startsWith(
                            "the answer has more than 1000 toolCalls items (a fixed cap of "
                                    + "chat-bridge, see docs/architecture.md, \"Answers: what counts as one, and how big it may be\")");
            assertThat(failure.excerpt()).startsWith("{\"toolCalls\":[{},{}");
        });
        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(streamer.cutOff).as("server send cut off").isTrue());
        assertThat(streamer.finished).isFalse();
        await().atMost(WAIT).until(() -> client.answerBudget().used() == 0);
    }

    @Test
    void shouldStopAnEventStreamAtTheByteLimitAndCountItemsAcrossEvents() {
        // Given: events of one reference each, more than the reference cap of 5
        AnswerCaps caps = new AnswerCaps(1000, 5, 1000, 1000, 1000, 5000, 100_000);
        LoopbackServer server =
                server(LoopbackServer.sse(Duration.ZERO, "data: {\"reference\":{\"position\":1}}\n\n".repeat(6)));
        Streamer streamer = new Streamer();
        LoopbackServer big = server(streamer.handler(
                LoopbackServer.SSE, utf8(""), utf8("data: {\"text\":\"x\"}\n\n"), utf8(""), 16_500_000));

        // When
        CallOutcome capped = call(client(server, b -> b.answerCaps(caps)), request(null));
        CallOutcome large = call(client(big, b -> b.maxAnswerBytes(100_000)), request(null));

        // Then
        assertThat(capped).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message()).startsWith("the answer has more than 5 reference objects");
        });
        assertThat(large).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message())
                    .isEqualTo("the event stream is larger than maxAnswerBytes 100000"
                            + " (setting chat.api.max.answer.bytes); the rest was not read");
        });
        await().atMost(WAIT).untilAsserted(() -> assertThat(streamer.cutOff).isTrue());
        assertThat(streamer.finished).isFalse();
    }

    @Test
    void shouldStopAtTheEventCap() {
        // Given
        AnswerCaps caps = new AnswerCaps(1000, 1000, 1000, 1000, 1000, 5000, 3);
        LoopbackServer server = server(LoopbackServer.sse(Duration.ZERO, "data: {\"text\":\"x\"}\n\n".repeat(4)));

        // When
        CallOutcome outcome = call(client(server, b -> b.answerCaps(caps)), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message()).startsWith("the answer has more than 3 events");
        });
    }

    @Test
    void shouldNotReuseTheConnectionOfAnAnswerStoppedEarly() {
        // Given: one connection; the first answer is too large, the next ones are small
        AtomicInteger calls = new AtomicInteger();
        Streamer streamer = new Streamer();
        LoopbackServer.Handler huge =
                streamer.handler(LoopbackServer.JSON, utf8("{\"text\":\""), utf8("x"), utf8("\"}"), 16_500_000);
        LoopbackServer server = server((request, response) -> calls.incrementAndGet() == 1
                ? huge.answer(request, response)
                : LoopbackServer.respond(200, LoopbackServer.JSON, "{\"text\":\"ok\"}")
                        .answer(request, response));
        ChatClient client = client(server, b -> b.maxAnswerBytes(64 * 1024).maxInFlight(1));

        // When
        CallOutcome first = call(client, request(null));
        CallOutcome second = call(client, request(null));
        CallOutcome third = call(client, request(null));

        // Then
        assertThat(first).isInstanceOf(CallOutcome.PermanentFailure.class);
        assertThat(second)
                .isEqualTo(new CallOutcome.Success(
                        new ChatAnswer("ok", List.of(), List.of(), List.of(), List.of(), null)));
        assertThat(third).isEqualTo(second);
        assertThat(server.closedConnections()).as("connections closed").isGreaterThanOrEqualTo(1);
    }

    // --- the shared budget ---

    @Test
    void shouldFailRetriablyWhenOtherAnswersHoldTheBudgetAndReturnItWhenTheyEnd() {
        // Given: a budget of exactly one answer of 64 KiB; the first answer stalls half-way
        int limit = 64 * 1024;
        AtomicInteger calls = new AtomicInteger();
        String half = "{\"text\":\"" + "x".repeat(limit / 2);
        LoopbackServer server = server((request, response) -> calls.incrementAndGet() == 1
                ? LoopbackServer.thenStall(LoopbackServer.JSON, half).answer(request, response)
                : LoopbackServer.respond(200, LoopbackServer.JSON, half + "\"}").answer(request, response));
        ChatClient client = client(server, b -> b.maxAnswerBytes(limit).answerMemoryBytes(AnswerBudget.heapFor(limit)));
        Disposable first = client.call(request(null)).subscribe(outcomes::add);
        await().atMost(WAIT).until(() -> client.answerBudget().used() > 0);

        // When
        CallOutcome second = call(client, request(null));

        // Then
        assertThat(second).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.cause()).isEqualTo(CallOutcome.RetryCause.OTHER);
            assertThat(failure.httpStatus()).isNull();
            assertThat(failure.message())
                    .startsWith("the answers in flight use up the answer memory budget (" + AnswerBudget.heapFor(limit)
                            + " heap bytes, setting chat.api.answer.memory.bytes;");
        });
        first.dispose();
        await().atMost(WAIT).until(() -> client.answerBudget().used() == 0);
        CallOutcome third = call(client, request(null));
        assertThat(third).isInstanceOf(CallOutcome.Success.class);
        assertThat(client.answerBudget().used()).isZero();
    }

    @Test
    void shouldReturnTheBudgetOnEveryWayACallEnds() {
        String sse = LoopbackServer.SSE;
        String json = LoopbackServer.JSON;
        LoopbackServer.Handler[] handlers = {
            LoopbackServer.respond(200, json, "{\"text\":\"ok\"}"),
            LoopbackServer.sse(Duration.ZERO, "data: {\"text\":\"ok\"}\n\n"),
            LoopbackServer.respond(200, json, "{\"text\":"),
            LoopbackServer.respond(200, json, "{}"),
            LoopbackServer.respond(200, "application/problem+json", "{\"status\":503,\"title\":\"busy\"}"),
            LoopbackServer.respond(200, json, "{\"text\":\"" + "x".repeat(8000) + "\"}"),
            LoopbackServer.thenCut(sse, "data: {\"text\":\"a\"}\n\n", "data: {\"te"),
            LoopbackServer.thenReset(json, "{\"text\":\"abc"),
            LoopbackServer.thenStall(json, "{\"text\":\"abc"),
        };
        for (int i = 0; i < handlers.length; i++) {
            LoopbackServer server = server(handlers[i]);
            ChatClient client = client(server, b -> b.maxAnswerBytes(4096).idleTimeout(Duration.ofMillis(300)));
            CallOutcome outcome = call(client, request(null));
            int index = i;
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(client.answerBudget().used())
                            .as("budget held after handler %d ended with %s", index, outcome)
                            .isZero());
        }
    }

    @Test
    void shouldReturnTheBudgetWhenTheCallerCancels() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenStall(LoopbackServer.SSE, "data: {\"text\":\"a\"}\n\n"));
        ChatClient client = client(server);
        Disposable call = client.call(request(null)).subscribe();
        await().atMost(WAIT).until(() -> client.answerBudget().used() > 0);

        // When
        call.dispose();

        // Then
        await().atMost(WAIT).until(() -> client.answerBudget().used() == 0);
    }
}
