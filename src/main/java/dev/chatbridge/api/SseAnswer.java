package dev.chatbridge.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.DeadLetterReason;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads one {@code text/event-stream} answer: parses the events as they come and folds each event's data (one answer
 * object, parsed as a stream by {@link JsonAnswerFolder}) into the answer. The bytes are counted against maxAnswerBytes
 * and reserved in the shared {@link AnswerBudget} as they arrive, the events against {@link AnswerCaps#sseEvents()} and
 * the items across events against the other caps; passing a limit stops reading at once (the body is cancelled). Lines
 * must be UTF-8 (malformed bytes are an UNPARSEABLE_RESPONSE).
 *
 * <p>A stream that breaks or ends in the middle of an event after at least one complete event is a broken stream:
 * retriable (the partial answer discarded) or a permanent UNPARSEABLE_RESPONSE, as {@code retryBrokenStreams} says. A
 * transport error before any event is left to the caller (a reset like any other). A stream that ends cleanly is
 * settled by {@link AnswerEnding#settle}: events that carry no answer member ({@code data: {}}) are not an answer.
 *
 * <p>Not thread-safe: one instance per answer, fed by the connection's event loop.
 */
final class SseAnswer {

    /** Thrown into the body stream when an event's data is not an answer object. */
    private static final class BadEvent extends Exception {
        private static final long serialVersionUID = 1L;

        BadEvent(AnswerParseException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final ChatClientConfig config;
    private final ObjectMapper mapper;
    private final UnaryOperator<String> redact;
    private final int status;
    private final AnswerBudget budget;
    private final AnswerBudget.Reservation reservation;
    private final SseParser parser;
    private final AnswerAggregator aggregator;
    private long bytes;
    private int events;
    private String lastExcerpt;

    SseAnswer(
            ChatClientConfig config,
            ObjectMapper mapper,
            UnaryOperator<String> redact,
            int status,
            AnswerBudget budget,
            AnswerBudget.Reservation reservation) {
        this.config = config;
        this.mapper = mapper;
        this.redact = redact;
        this.status = status;
        this.budget = budget;
        this.reservation = reservation;
        this.parser = new SseParser(config.maxEventBytes(), config.maxEventBytes());
        this.aggregator = new AnswerAggregator(mapper, config.answerCaps());
    }

    Mono<CallOutcome> read(Flux<ByteBuf> body) {
        return body.<Void>handle((chunk, sink) -> {
                    int readable = chunk.readableBytes();
                    bytes += readable;
                    if (bytes > config.maxAnswerBytes()) {
                        sink.error(new AnswerEnding.Stop(
                                AnswerEnding.tooLarge(status, config.maxAnswerBytes(), "the event stream", null)));
                        return;
                    }
                    if (!reservation.reserve(readable)) {
                        sink.error(new AnswerEnding.Stop(AnswerEnding.noBudget(budget, reservation)));
                        return;
                    }
                    try {
                        for (SseEvent event : parser.feed(chunk)) {
                            if (events == config.answerCaps().sseEvents()) {
                                throw new AnswerTooLargeException("the answer has more than " + events
                                        + " events (a fixed" + " cap of chat-bridge, " + AnswerEnding.SECTION + ")");
                            }
                            byte[] data = event.data().getBytes(StandardCharsets.UTF_8);
                            lastExcerpt = BodyBytes.excerpt(data, data.length, config.excerptBytes());
                            JsonAnswerFolder folder = new JsonAnswerFolder(aggregator, mapper, config.answerCaps());
                            folder.feed(ByteBuffer.wrap(data));
                            folder.end();
                            events++;
                        }
                    } catch (SseParseException e) {
                        sink.error(e);
                    } catch (AnswerParseException e) {
                        sink.error(new BadEvent(e));
                    } catch (AnswerTooLargeException e) {
                        sink.error(new AnswerEnding.Stop(AnswerEnding.tooMany(status, e, null)));
                    }
                })
                .then(Mono.fromSupplier(this::complete))
                .onErrorResume(this::failed);
    }

    private CallOutcome complete() {
        if (parser.hasPendingEvent()) {
            return broken("the event stream ended in the middle of an event");
        }
        if (events == 0) {
            return new CallOutcome.PermanentFailure(
                    DeadLetterReason.UNPARSEABLE_RESPONSE,
                    status,
                    null,
                    null,
                    "the event stream ended without any event");
        }
        return AnswerEnding.settle(status, aggregator, () -> null, false, excerpt(), "the event stream", redact);
    }

    private Mono<CallOutcome> failed(Throwable error) {
        if (error instanceof AnswerEnding.Stop stop) {
            return Mono.just(stop.outcome());
        }
        if (error instanceof SseParseException e) {
            return Mono.just(new CallOutcome.PermanentFailure(
                    DeadLetterReason.UNPARSEABLE_RESPONSE,
                    status,
                    null,
                    null,
                    e.getMessage() + (e.getMessage().contains("UTF-8") ? "" : " (maxEventBytes)")));
        }
        if (error instanceof BadEvent e) {
            return Mono.just(new CallOutcome.PermanentFailure(
                    DeadLetterReason.UNPARSEABLE_RESPONSE,
                    status,
                    null,
                    excerpt(),
                    redact.apply("event " + (events + 1) + " of the event stream is not a /chats/v2 answer: "
                            + e.getMessage())));
        }
        if (events > 0) {
            return Mono.just(
                    broken("the event stream broke (" + error.getClass().getSimpleName() + ")"));
        }
        return Mono.error(error);
    }

    /** An excerpt of the data of the last event read, or null. */
    private String excerpt() {
        return lastExcerpt == null ? null : redact.apply(lastExcerpt);
    }

    private CallOutcome broken(String what) {
        if (events == 0) {
            return new CallOutcome.RetriableFailure(
                    CallOutcome.RetryCause.BROKEN_STREAM, status, null, null, what + " before any complete event");
        }
        String message = what + " after " + events + " complete events";
        if (config.retryBrokenStreams()) {
            return new CallOutcome.RetriableFailure(
                    CallOutcome.RetryCause.BROKEN_STREAM,
                    status,
                    null,
                    null,
                    message + "; the partial answer is discarded");
        }
        return new CallOutcome.PermanentFailure(
                DeadLetterReason.UNPARSEABLE_RESPONSE, status, null, null, message + " (retryBrokenStreams is false)");
    }
}
