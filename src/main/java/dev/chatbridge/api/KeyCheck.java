package dev.chatbridge.api;

import java.util.Objects;

/**
 * What a synthetic key check ({@link ChatApi#checkKey()}) found: whether the API accepts the deployment's key at its
 * endpoint, independent of any user's request.
 *
 * @param verdict the finding
 * @param httpStatus the status of the answer, or null when there was none
 * @param message what was found, for a human (never the key)
 */
public record KeyCheck(Verdict verdict, Integer httpStatus, String message) {

    /** What a key check can find. */
    public enum Verdict {
        /** The key and the endpoint are accepted (the check's invalid body was refused as invalid, or answered). */
        ACCEPTED,
        /** The key is refused (401/403), the endpoint is missing (404/405) or redirected (3xx). */
        REFUSED,
        /** The API could not tell (a transient status, a timeout, no connection): check again later. */
        UNKNOWN
    }

    public KeyCheck {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(message, "message");
    }

    /** A check that found the key accepted. */
    public static KeyCheck accepted(Integer httpStatus) {
        return new KeyCheck(Verdict.ACCEPTED, httpStatus, "accepted");
    }
}
