package dev.chatbridge.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Who produced a request, as far as its on-behalf-of token proves it: what {@link RequestPolicy#identify} found in the
 * record's headers, kept by the engine until it decides on the request ({@link RequestPolicy#denial}), possibly in its
 * pending table ({@link #toStored()}, {@link #fromStored}). Never holds the token itself.
 *
 * @param verified whether a token was present and passed every check (signature, audience, expiry, issuer); then
 *     {@code problem} is null
 * @param subject the verified token's {@code sub} (the account it speaks for); null when the token has none (a call as
 *     the API key's own user) or when not verified
 * @param issuer the verified token's {@code iss}, or null
 * @param problem why the token is missing (while required) or invalid; null otherwise
 */
public record ProducerIdentity(boolean verified, String subject, String issuer, String problem) {

    /** No token looked at: the token mode is off. */
    public static final ProducerIdentity NONE = new ProducerIdentity(false, null, null, null);

    /** Longest stored form {@link #fromStored} reads; anything longer is refused. */
    static final int MAX_STORED_CHARS = 4096;

    private static final String VERSION = "1";

    /** A verified token's identity. */
    static ProducerIdentity verified(String subject, String issuer) {
        return new ProducerIdentity(true, subject, issuer, null);
    }

    /** A missing or invalid token; {@code problem} must not contain the token. */
    static ProducerIdentity invalid(String problem) {
        return new ProducerIdentity(false, null, null, problem);
    }

    /**
     * A compact, versioned text form for the engine's pending table: {@code 1}, then one line per field ({@code -} for
     * null, else {@code +} and the value with {@code %} and line feeds escaped).
     */
    public String toStored() {
        return VERSION + "\n" + (verified ? "1" : "0") + "\n" + field(subject) + "\n" + field(issuer) + "\n"
                + field(problem);
    }

    /**
     * Reads {@link #toStored()}'s form back; null or empty is {@link #NONE}. Never throws: a form it cannot read
     * (another version, damaged) becomes an unverified identity whose problem says so, which denies the request when
     * tokens are required (fail closed).
     */
    public static ProducerIdentity fromStored(String stored) {
        if (stored == null || stored.isEmpty()) {
            return NONE;
        }
        if (stored.length() > MAX_STORED_CHARS) {
            return invalid("the stored producer identity is " + stored.length() + " characters, more than "
                    + MAX_STORED_CHARS + "; the request must be sent again with a fresh token");
        }
        List<String> parts = split(stored);
        if (parts.size() != 5
                || !VERSION.equals(parts.get(0))
                || !("0".equals(parts.get(1)) || "1".equals(parts.get(1)))) {
            return invalid("the stored producer identity is unreadable (not version " + VERSION
                    + "); the request must be sent again with a fresh token");
        }
        try {
            boolean verified = "1".equals(parts.get(1));
            String problem = unfield(parts.get(4));
            if (verified && problem != null) {
                return invalid("the stored producer identity is inconsistent (verified with a problem)");
            }
            return new ProducerIdentity(verified, unfield(parts.get(2)), unfield(parts.get(3)), problem);
        } catch (IllegalArgumentException e) {
            return invalid("the stored producer identity is unreadable (" + e.getMessage()
                    + "); the request must be sent again with a fresh token");
        }
    }

    private static List<String> split(String s) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }

    private static String field(String value) {
        return value == null ? "-" : "+" + value.replace("%", "%25").replace("\n", "%0A");
    }

    private static String unfield(String field) {
        if ("-".equals(field)) {
            return null;
        }
        if (field.isEmpty() || field.charAt(0) != '+') {
            throw new IllegalArgumentException("a field is neither - nor +value");
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 1; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c != '%') {
                out.append(c);
            } else if (field.startsWith("%25", i)) {
                out.append('%');
                i += 2;
            } else if (field.startsWith("%0A", i)) {
                out.append('\n');
                i += 2;
            } else {
                throw new IllegalArgumentException("a field has a bad escape");
            }
        }
        return out.toString();
    }
}
