package dev.chatbridge.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.DeadLetterReason;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads one {@code text/event-stream} answer: parses the events as they come and folds each
 * event's data (one answer object) into the answer. A stream that breaks or ends in the middle
 * of an event after at least one complete event is a broken stream: retriable (the partial answer
 * discarded) or a permanent UNPARSEABLE_RESPONSE, as {@code retryBrokenStreams} says. A transport
 * error before any event is left to the caller (a reset like any other).
 *
 * <p>Not thread-safe: one instance per answer, fed by the connection's event loop.
 */
final class SseAnswer {

    /** Thrown into the body stream when the answer passes maxAnswerBytes. */
    private static final class TooLarge extends Exception {
        private static final long serialVersionUID = 1L;

        TooLarge() {
            super(null, null, false, false);
        }
    }

    /** Thrown into the body stream when an event's data is not an answer object. */
    private static final class BadEvent extends Exception {
        private static final long serialVersionUID = 1L;

        BadEvent(AnswerParseException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final ChatClientConfig config;
    private final UnaryOperator<String> redact;
    private final int status;
    private final SseParser parser;
    private final AnswerAggregator aggregator;
    private long bytes;
    private int events;
    private String lastData;

    SseAnswer(ChatClientConfig config, ObjectMapper mapper, UnaryOperator<String> redact, int status) {
        this.config = config;
        this.redact = redact;
        this.status = status;
        this.parser = new SseParser(config.maxEventBytes(), config.maxEventBytes());
        this.aggregator = new AnswerAggregator(mapper);
    }

    Mono<CallOutcome> read(Flux<ByteBuf> body) {
        return body.<Void>handle((chunk, sink) -> {
            bytes += chunk.readableBytes();
            if (bytes > config.maxAnswerBytes()) {
                sink.error(new TooLarge());
                return;
            }
            try {
                for (SseEvent event : parser.feed(chunk)) {
                    lastData = event.data();
                    aggregator.accept(event.data());
                    events++;
                }
            } catch (SseParseException e) {
                sink.error(e);
            } catch (AnswerParseException e) {
                sink.error(new BadEvent(e));
            }
        }).then(Mono.fromSupplier(this::complete)).onErrorResume(this::failed);
    }

    private CallOutcome complete() {
        if (parser.hasPendingEvent()) {
            return broken("the event stream ended in the middle of an event");
        }
        if (events == 0) {
            return new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, status, null, null,
                    "the event stream ended without any event");
        }
        return new CallOutcome.Success(aggregator.result());
    }

    private Mono<CallOutcome> failed(Throwable error) {
        if (error instanceof TooLarge) {
            return Mono.just(new CallOutcome.PermanentFailure(DeadLetterReason.RESPONSE_TOO_LARGE, status, null, null,
                    "the event stream is larger than maxAnswerBytes " + config.maxAnswerBytes()));
        }
        if (error instanceof SseParseException e) {
            return Mono.just(new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, status, null, null,
                    e.getMessage() + " (maxEventBytes)"));
        }
        if (error instanceof BadEvent e) {
            byte[] data = lastData.getBytes(StandardCharsets.UTF_8);
            String excerpt = BodyBytes.excerpt(data, data.length, config.excerptBytes());
            return Mono.just(new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, status, null,
                    excerpt == null ? null : redact.apply(excerpt),
                    redact.apply("event " + (events + 1) + " of the event stream is not a /chats/v2 answer: "
                            + e.getMessage())));
        }
        if (events > 0) {
            return Mono.just(broken("the event stream broke (" + error.getClass().getSimpleName() + ")"));
        }
        return Mono.error(error);
    }

    private CallOutcome broken(String what) {
        if (events == 0) {
            return new CallOutcome.RetriableFailure(CallOutcome.RetryCause.BROKEN_STREAM, status, null, null,
                    what + " before any complete event");
        }
        String message = what + " after " + events + " complete events";
        if (config.retryBrokenStreams()) {
            return new CallOutcome.RetriableFailure(CallOutcome.RetryCause.BROKEN_STREAM, status, null, null,
                    message + "; the partial answer is discarded");
        }
        return new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, status, null, null,
                message + " (retryBrokenStreams is false)");
    }
}
