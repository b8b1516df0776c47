package dev.chatbridge.observability;

import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.events.DeadLetterReason;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The tag keys that the service's own meters may carry, each with its closed set of values. Every value set is small
 * and fixed at build time: never a thread id, account, request id or message.
 */
public enum MeterTag {

    /** What a request came to. */
    OUTCOME("outcome", List.of("response", "dead_letter")),
    /** Why a request was dead-lettered ({@code none} for responses): the dead-letter reason in lower case. */
    REQUEST_REASON(
            "reason",
            Stream.concat(
                            Stream.of("none"),
                            Arrays.stream(DeadLetterReason.values()).map(MeterTag::lower))
                    .toList()),
    /** Why a request was dead-lettered: the dead-letter reason in lower case. */
    DEAD_LETTER_REASON(
            "reason",
            Arrays.stream(DeadLetterReason.values()).map(MeterTag::lower).toList()),
    /** What a call came to, by the kinds of docs/architecture.md, "What each API answer becomes". */
    RESULT(
            "result",
            Arrays.stream(CallResult.values()).map(CallResult::tagValue).toList()),
    /** Why a call is retried: an HTTP status class or a transport failure kind. */
    RETRY_REASON(
            "reason",
            Arrays.stream(RetryReason.values()).map(RetryReason::tagValue).toList()),
    /** Which step waited for the schema registry. */
    REGISTRY_STEP("step", List.of("decode", "dispatch", "output")),
    /** What a key check found. */
    KEY_CHECK_VERDICT(
            "verdict",
            Arrays.stream(KeyCheck.Verdict.values()).map(MeterTag::lower).toList()),
    /** What held a call's start back: a Retry-After pause, or the instance's share of the rate quota. */
    HELD_BY("reason", List.of("pause", "rate"));

    private final String key;
    private final List<String> values;

    MeterTag(String key, List<String> values) {
        this.key = key;
        this.values = List.copyOf(values);
    }

    /** The tag key as exported. */
    public String key() {
        return key;
    }

    /** Every value this tag can take. */
    public List<String> allowedValues() {
        return values;
    }

    static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
