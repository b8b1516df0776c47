package dev.chatbridge.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import io.netty.buffer.ByteBuf;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads one 2xx JSON answer as its bytes arrive: counts them against maxAnswerBytes, reserves their heap in the shared
 * {@link AnswerBudget}, and feeds them to a {@link JsonAnswerFolder}. Passing the byte limit or an item cap stops
 * reading at once (the body is cancelled, so the connection is closed) with RESPONSE_TOO_LARGE; a full budget stops it
 * with a retriable failure. Only the first {@link #PREFIX_BYTES} bytes are kept, for the excerpt and for problem
 * details.
 *
 * <p>Not thread-safe: one instance per answer, fed by the connection's event loop.
 */
final class JsonAnswer {

    /** Body bytes kept whole: a problem-details body up to this size keeps every member. */
    static final int PREFIX_BYTES = 16 * 1024;

    private final ChatClientConfig config;
    private final UnaryOperator<String> redact;
    private final Function<byte[], ProblemDetails> problems;
    private final int status;
    private final boolean problemMedia;
    private final AnswerBudget budget;
    private final AnswerBudget.Reservation reservation;
    private final AnswerAggregator aggregator;
    private final JsonAnswerFolder folder;
    private final BodyBytes prefix;
    private long bytes;

    JsonAnswer(
            ChatClientConfig config,
            ObjectMapper mapper,
            UnaryOperator<String> redact,
            Function<byte[], ProblemDetails> problems,
            int status,
            boolean problemMedia,
            AnswerBudget budget,
            AnswerBudget.Reservation reservation) {
        this.config = config;
        this.redact = redact;
        this.problems = problems;
        this.status = status;
        this.problemMedia = problemMedia;
        this.budget = budget;
        this.reservation = reservation;
        this.aggregator = new AnswerAggregator(mapper, config.answerCaps());
        this.folder = new JsonAnswerFolder(aggregator, mapper, config.answerCaps());
        this.prefix = new BodyBytes(Math.max(PREFIX_BYTES, config.excerptBytes()));
    }

    Mono<CallOutcome> read(Flux<ByteBuf> body) {
        return body.<Void>handle((chunk, sink) -> {
                    try {
                        accept(chunk);
                    } catch (AnswerEnding.Stop stop) {
                        sink.error(stop);
                    }
                })
                .then(Mono.fromCallable(this::complete))
                .onErrorResume(AnswerEnding.Stop.class, stop -> Mono.just(stop.outcome()));
    }

    private void accept(ByteBuf chunk) throws AnswerEnding.Stop {
        int readable = chunk.readableBytes();
        bytes += readable;
        prefix.add(chunk); // bounded (PREFIX_BYTES); first, so that an early stop keeps a full excerpt
        if (bytes > config.maxAnswerBytes()) {
            throw new AnswerEnding.Stop(
                    AnswerEnding.tooLarge(status, config.maxAnswerBytes(), "the JSON answer", excerpt()));
        }
        if (!reservation.reserve(readable)) {
            throw new AnswerEnding.Stop(AnswerEnding.noBudget(budget, reservation));
        }
        try {
            folder.feed(chunk.nioBuffer());
        } catch (AnswerParseException e) {
            throw new AnswerEnding.Stop(unparseable(e));
        } catch (AnswerTooLargeException e) {
            throw new AnswerEnding.Stop(AnswerEnding.tooMany(status, e, excerpt()));
        }
    }

    private CallOutcome complete() throws AnswerEnding.Stop {
        try {
            folder.end();
        } catch (AnswerParseException e) {
            if (problemMedia) {
                return problem(() -> null);
            }
            return unparseable(e);
        } catch (AnswerTooLargeException e) {
            return AnswerEnding.tooMany(status, e, excerpt());
        }
        return problem(() -> prefix.truncated() ? null : problems.apply(prefix.bytes()));
    }

    private CallOutcome problem(Supplier<ProblemDetails> whole) {
        return AnswerEnding.settle(status, aggregator, whole, problemMedia, excerpt(), "the JSON answer", redact);
    }

    private CallOutcome unparseable(AnswerParseException e) {
        String message = e.getCause() instanceof JacksonException json
                ? "the JSON answer is not valid JSON: " + json.getOriginalMessage()
                : "the JSON answer is not a /chats/v2 answer: " + e.getMessage();
        return new CallOutcome.PermanentFailure(
                DeadLetterReason.UNPARSEABLE_RESPONSE, status, null, excerpt(), redact.apply(message));
    }

    private String excerpt() {
        String excerpt = prefix.excerpt(config.excerptBytes());
        return excerpt == null ? null : redact.apply(excerpt);
    }
}
