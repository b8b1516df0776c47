package dev.chatbridge.engine;

import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.ProblemDetails;
import dev.chatbridge.serde.SerdeException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Turns outcome events into the bytes that are published, within the output size budget
 * ({@code chat.response.max.bytes}), serializing each event once.
 *
 * <p>A response over the budget becomes a {@code RESPONSE_TOO_LARGE} dead letter. A dead letter over the budget is
 * shrunk step by step, each step leaving out one more thing and naming it in {@code omitted}: the raw input value, the
 * raw key, the embedded request, the problem's extensions, its validation errors, its detail, the answer excerpt, and
 * finally the message is cut. Sizes, the value's hash, ids and source coordinates are always kept. The last step cannot
 * exceed the budget (ids are at most {@code chat.request.max.id.chars} long and every text left is cut), so every
 * outcome is published.
 *
 * <p>The serializers need the schema registry for the schema id (cached after the first use). When the registry cannot
 * be asked, {@link NotWritable} says so and the caller keeps the outcome and tries again later; nothing is lost or
 * dropped.
 *
 * <p><b>Threading.</b> Stateless apart from the serializers, which are thread-safe; used by stream threads.
 */
final class OutcomeWriter {

    /** Characters kept of a text that is cut to fit. */
    static final int CUT_CHARS = 1000;

    /** The outcome cannot be serialized now, because the schema registry cannot be asked; try again later. */
    static final class NotWritable extends Exception {
        private static final long serialVersionUID = 1L;

        NotWritable(SerdeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Serialized bytes and whether they are a response (else a dead letter). */
    record Written(boolean response, byte[] bytes, ChatDeadLetter deadLetter) {}

    private final Serializer<ChatResponse> responses;
    private final Serializer<ChatDeadLetter> deadLetters;
    private final String responsesTopic;
    private final String deadLettersTopic;
    private final int maxBytes;
    private final ToIntFunction<String> limits;

    OutcomeWriter(
            Topic<String, ChatResponse> responses,
            Topic<String, ChatDeadLetter> deadLetters,
            int maxBytes,
            ToIntFunction<String> limits) {
        this.responses = responses.valueSerde().serializer();
        this.deadLetters = deadLetters.valueSerde().serializer();
        this.responsesTopic = responses.name();
        this.deadLettersTopic = deadLetters.name();
        this.maxBytes = maxBytes;
        this.limits = limits;
    }

    /** The budget of a topic: {@code chat.response.max.bytes}, or less when the runner lowered it. */
    private int budget(String topic) {
        return Math.max(EngineConfig.MIN_RESPONSE_BYTES, Math.min(maxBytes, limits.applyAsInt(topic)));
    }

    /** The response's bytes, or a RESPONSE_TOO_LARGE dead letter's when the response is over the budget. */
    Written response(ChatRequest request, ChatResponse response, UnaryOperator<ChatDeadLetter> withInput)
            throws NotWritable {
        byte[] bytes = serialize(() -> responses.serialize(responsesTopic, response));
        int budget = budget(responsesTopic);
        if (bytes.length <= budget) {
            return new Written(true, bytes, null);
        }
        ChatDeadLetter tooLarge = Outcomes.tooLarge(request, response, bytes.length, budget, response.getCompletedAt());
        return deadLetter(withInput.apply(tooLarge));
    }

    /** The dead letter's bytes, shrunk to the budget when needed. */
    Written deadLetter(ChatDeadLetter deadLetter) throws NotWritable {
        byte[] bytes = serializeDeadLetter(deadLetter);
        int budget = budget(deadLettersTopic);
        if (bytes.length <= budget) {
            return new Written(false, bytes, deadLetter);
        }
        int original = bytes.length;
        ChatDeadLetter base = ChatDeadLetter.newBuilder(deadLetter).build();
        List<String> omitted = new ArrayList<>(base.getOmitted());
        for (Step step : STEPS) {
            if (!step.applies(base)) {
                continue;
            }
            base = step.apply(base);
            omitted.add(step.name);
            ChatDeadLetter candidate = ChatDeadLetter.newBuilder(base)
                    .setOmitted(new ArrayList<>(omitted))
                    .setMessage(base.getMessage() + " [the dead letter was " + original + " bytes, over "
                            + EngineConfig.KEY_MAX_RESPONSE_BYTES + "=" + budget + "; left out: "
                            + String.join(", ", omitted) + "]")
                    .build();
            bytes = serializeDeadLetter(candidate);
            if (bytes.length <= budget) {
                return new Written(false, bytes, candidate);
            }
        }
        throw new IllegalStateException("a dead letter of " + bytes.length + " bytes is still over "
                + EngineConfig.KEY_MAX_RESPONSE_BYTES + "=" + budget + " after leaving out " + omitted
                + " (a bug: the last step keeps only bounded fields)");
    }

    private byte[] serializeDeadLetter(ChatDeadLetter deadLetter) throws NotWritable {
        return serialize(() -> deadLetters.serialize(deadLettersTopic, deadLetter));
    }

    private interface Serialization {
        byte[] run();
    }

    private static byte[] serialize(Serialization serialization) throws NotWritable {
        try {
            return serialization.run();
        } catch (SerdeException e) {
            if (e.kind() == SerdeException.Kind.REGISTRY_UNAVAILABLE
                    || e.kind() == SerdeException.Kind.REGISTRY_ERROR) {
                throw new NotWritable(e);
            }
            throw e;
        }
    }

    /** One shrinking step: leaves out (or cuts) one thing, on a builder of the dead letter. */
    private record Step(String name, Predicate<ChatDeadLetter> when, Consumer<ChatDeadLetter.Builder> how) {
        boolean applies(ChatDeadLetter d) {
            return when.test(d);
        }

        ChatDeadLetter apply(ChatDeadLetter d) {
            ChatDeadLetter.Builder b = ChatDeadLetter.newBuilder(d);
            how.accept(b);
            return b.build();
        }
    }

    private static final List<Step> STEPS = List.of(
            new Step("rawValue", d -> d.getRawValue() != null, d -> d.setRawValue(null)),
            new Step("rawKey", d -> d.getRawKey() != null, d -> d.setRawKey(null)),
            new Step("request", d -> d.getRequest() != null, d -> d.setRequest(null)),
            new Step(
                    "problem.extensionsJson",
                    d -> d.getProblem() != null && d.getProblem().getExtensionsJson() != null,
                    d -> d.setProblem(ProblemDetails.newBuilder(d.getProblem())
                            .setExtensionsJson(null)
                            .build())),
            new Step(
                    "problem.errors",
                    d -> d.getProblem() != null && d.getProblem().getErrors() != null,
                    d -> d.setProblem(ProblemDetails.newBuilder(d.getProblem())
                            .setErrors(null)
                            .build())),
            new Step(
                    "problem.detail",
                    d -> d.getProblem() != null && longer(d.getProblem().getDetail()),
                    d -> d.setProblem(ProblemDetails.newBuilder(d.getProblem())
                            .setDetail(cut(d.getProblem().getDetail()))
                            .build())),
            new Step(
                    "responseExcerpt",
                    d -> longer(d.getResponseExcerpt()),
                    d -> d.setResponseExcerpt(cut(d.getResponseExcerpt()))),
            new Step("problem", d -> d.getProblem() != null, d -> d.setProblem(null)),
            new Step("message", d -> longer(d.getMessage()), d -> d.setMessage(cut(d.getMessage()))));

    private static boolean longer(String s) {
        return s != null && s.length() > CUT_CHARS;
    }

    /** The first {@value #CUT_CHARS} characters and how many were cut. */
    static String cut(String s) {
        if (!longer(s)) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(CUT_CHARS - 1)) ? CUT_CHARS - 1 : CUT_CHARS;
        return s.substring(0, end) + "…(" + (s.length() - end) + " more characters)";
    }
}
