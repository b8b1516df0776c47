package dev.chatbridge.observability;

import dev.chatbridge.api.CallOutcome;

/**
 * The {@code reason} tag of a retry: the HTTP status class of the failed answer, or the kind of transport failure when
 * there was no status. A bounded set, whatever the failure said.
 *
 * <p>Transport failures carry no status; their kind is the failure's {@code RetryCause}.
 */
enum RetryReason {
    HTTP_408("408"),
    HTTP_425("425"),
    HTTP_429("429"),
    HTTP_5XX("5xx"),
    /** A 2xx event stream that broke before its end. */
    BROKEN_STREAM("broken_stream"),
    /** A time limit: connect, first byte, idle gap, attempt deadline, pool acquisition. */
    TIMEOUT("timeout"),
    /** No connection could be made. */
    CONNECT("connect"),
    /** The connection closed or failed mid-exchange. */
    RESET("reset"),
    OTHER("other");

    private final String tagValue;

    RetryReason(String tagValue) {
        this.tagValue = tagValue;
    }

    String tagValue() {
        return tagValue;
    }

    static RetryReason of(CallOutcome.RetriableFailure failure) {
        Integer status = failure.httpStatus();
        if (status != null) {
            if (status == 408) {
                return HTTP_408;
            }
            if (status == 425) {
                return HTTP_425;
            }
            if (status == 429) {
                return HTTP_429;
            }
            if (status >= 500 && status < 600) {
                return HTTP_5XX;
            }
            if (status >= 200 && status < 300) {
                return BROKEN_STREAM;
            }
            return OTHER;
        }
        return switch (failure.cause()) {
            case BROKEN_STREAM -> BROKEN_STREAM;
            case TIMEOUT -> TIMEOUT;
            case CONNECT -> CONNECT;
            case RESET -> RESET;
            case STATUS, OTHER -> OTHER;
        };
    }
}
