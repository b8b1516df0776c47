package dev.chatbridge.api;

import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * How a 2xx answer body that was read to its end is settled: only an answer is a success. The rules
 * (docs/architecture.md, "Answers: what counts as one, and how big it may be"):
 *
 * <ol>
 *   <li>Problem details ({@code application/problem+json}, or objects with {@code status} and {@code type} or
 *       {@code title} and no answer member) or an {@code error} member are an error whatever the 2xx status: retriable
 *       when the body's {@code status} is 408, 425, 429 or 5xx, else a permanent UNPARSEABLE_RESPONSE that keeps the
 *       problem.
 *   <li>A body without any answer member ({@code text}, {@code toolCalls}, {@code reference}, {@code sources},
 *       {@code tool}) with a non-null value is a permanent UNPARSEABLE_RESPONSE: {@code {}}, or only a
 *       {@code requestId}, is nothing to publish.
 *   <li>Anything else is a {@link CallOutcome.Success}.
 * </ol>
 *
 * <p>Also the common failures of the answer readers (too large, no budget). Stateless.
 */
final class AnswerEnding {

    static final String SECTION = "see docs/architecture.md, \"Answers: what counts as one, and how big it may be\"";

    private AnswerEnding() {}

    /**
     * The outcome of a complete 2xx body folded into {@code aggregator}.
     *
     * @param problem the problem details to keep when the body is an error (every member when the body was small enough
     *     to parse whole), or null to keep the members seen
     * @param problemMedia whether the content type was {@code application/problem+json}
     * @param excerpt an excerpt of the body, or null
     * @param what "the JSON answer" or "the event stream", for messages
     */
    static CallOutcome settle(
            int httpStatus,
            AnswerAggregator aggregator,
            Supplier<ProblemDetails> problem,
            boolean problemMedia,
            String excerpt,
            String what,
            UnaryOperator<String> redact) {
        boolean isProblem = problemMedia || aggregator.problemShaped();
        if (isProblem || aggregator.error()) {
            ProblemDetails whole = problem.get();
            ProblemDetails kept = whole != null ? whole : aggregator.problemMembers();
            String shape = isProblem ? "problem details" : "an error member";
            Integer bodyStatus = aggregator.problemStatus();
            StringBuilder message = new StringBuilder("the API answered HTTP ")
                    .append(httpStatus)
                    .append(" with ")
                    .append(shape)
                    .append(" instead of an answer");
            if (bodyStatus != null) {
                message.append(" (status ").append(bodyStatus).append(" in the body)");
            }
            if (kept != null && kept.getTitle() != null) {
                message.append(": ").append(kept.getTitle());
            }
            if (kept != null && kept.getDetail() != null) {
                message.append(kept.getTitle() == null ? ": " : " - ").append(kept.getDetail());
            }
            if (bodyStatus != null && retriableStatus(bodyStatus)) {
                return new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.STATUS,
                        bodyStatus,
                        null,
                        excerpt,
                        redact.apply(message + ", a transient failure"));
            }
            return new CallOutcome.PermanentFailure(
                    DeadLetterReason.UNPARSEABLE_RESPONSE,
                    httpStatus,
                    kept,
                    kept == null ? excerpt : null,
                    redact.apply(message.toString()));
        }
        if (!aggregator.recognised()) {
            return new CallOutcome.PermanentFailure(
                    DeadLetterReason.UNPARSEABLE_RESPONSE,
                    httpStatus,
                    null,
                    excerpt,
                    what + " has no answer member (text, toolCalls, reference, sources or tool with a value): "
                            + "it is not an answer");
        }
        return new CallOutcome.Success(aggregator.result());
    }

    /** Whether a status in a body says "try again": 408, 425, 429 or 5xx, as for HTTP statuses. */
    static boolean retriableStatus(int status) {
        return status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600);
    }

    /** The answer passed maxAnswerBytes. */
    static CallOutcome tooLarge(int httpStatus, int maxAnswerBytes, String what, String excerpt) {
        return new CallOutcome.PermanentFailure(
                DeadLetterReason.RESPONSE_TOO_LARGE,
                httpStatus,
                null,
                excerpt,
                what + " is larger than maxAnswerBytes " + maxAnswerBytes + " (setting chat.api.max.answer.bytes);"
                        + " the rest was not read");
    }

    /** The answer passed one of its item caps. */
    static CallOutcome tooMany(int httpStatus, AnswerTooLargeException e, String excerpt) {
        return new CallOutcome.PermanentFailure(
                DeadLetterReason.RESPONSE_TOO_LARGE,
                httpStatus,
                null,
                excerpt,
                e.getMessage() + "; the rest was not read");
    }

    /** The shared answer memory budget has no room for the next bytes: not this answer's fault. */
    static CallOutcome noBudget(AnswerBudget budget, AnswerBudget.Reservation reservation) {
        return new CallOutcome.RetriableFailure(
                CallOutcome.RetryCause.OTHER,
                null,
                null,
                null,
                "the answers in flight use up the answer memory budget (" + budget.capacity() + " heap bytes, setting"
                        + " chat.api.answer.memory.bytes; this answer held " + reservation.held() + " of them, "
                        + AnswerBudget.BASE_HEAP_BYTES + " plus " + AnswerBudget.HEAP_BYTES_PER_ANSWER_BYTE
                        + " per answer byte): the call is retried"
                        + " later; if this happens often, raise the heap (-Xmx) or chat.api.answer.memory.bytes, or"
                        + " lower chat.max.in.flight or chat.api.max.answer.bytes");
    }

    /** Ends a body stream early with a known outcome. */
    static final class Stop extends Exception {

        private static final long serialVersionUID = 1L;
        private final transient CallOutcome outcome;

        Stop(CallOutcome outcome) {
            super(null, null, false, false);
            this.outcome = outcome;
        }

        CallOutcome outcome() {
            return outcome;
        }
    }
}
