package dev.chatbridge.observability;

import dev.chatbridge.api.CallOutcome;

/** The {@code result} tag of a call: which kind of {@link CallOutcome} it came to. */
enum CallResult {
    SUCCESS,
    PERMANENT,
    RETRIABLE,
    REFUSED;

    String tagValue() {
        return MeterTag.lower(this);
    }

    static CallResult of(CallOutcome outcome) {
        if (outcome instanceof CallOutcome.Success) {
            return SUCCESS;
        }
        if (outcome instanceof CallOutcome.PermanentFailure) {
            return PERMANENT;
        }
        if (outcome instanceof CallOutcome.RetriableFailure) {
            return RETRIABLE;
        }
        return REFUSED; // Refused, or OperatorFailure (a refusal a key check confirmed)
    }
}
