package dev.chatbridge.devtools.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * RFC 9457 problem details as the vendor's ASP.NET stack writes them ({@code type} pointing at the RFC 9110 section,
 * {@code traceId} in W3C trace-context form). Never includes request headers, so never the API key. Stateless and
 * thread-safe.
 */
final class Problems {

    static final String MEDIA_TYPE = "application/problem+json; charset=utf-8";
    static final String INSTANCE = "/chats/v2";
    /** Prefix of the API's own problem types ({@code impersonation-denied}, {@code assistant-not-found}, ...). */
    static final String PROBLEM_TYPES = "https://api.example.com/problems/";

    static final String VALIDATION_TITLE = "One or more validation errors occurred.";
    /** Size in bytes of the problem details of {@code #fault:400-huge}: 1 MiB. */
    static final int HUGE_PROBLEM_BYTES = 1 << 20;
    /** Share of {@link #HUGE_PROBLEM_BYTES} taken by the {@code errors} map; the rest is the extension member. */
    private static final int HUGE_ERRORS_BYTES = 640 * 1024;

    private final ObjectMapper json;

    Problems(ObjectMapper json) {
        this.json = json;
    }

    /** A 400 with the validation {@code errors} (property path to messages). */
    byte[] validation(Map<String, List<String>> errors) {
        ObjectNode p = base(400, VALIDATION_TITLE, "See the errors property for details.");
        ObjectNode e = json.createObjectNode();
        errors.forEach((path, messages) -> messages.forEach(e.putArray(path)::add));
        p.set("errors", e);
        p.put("traceId", traceId());
        return bytes(p);
    }

    /**
     * A 400 validation problem of exactly {@code totalBytes} bytes of UTF-8 JSON, as a validator that reports every
     * rule it checked might write it: an {@code errors} map of thousands of property paths (about 640 KiB),
     * {@code traceId}, and a {@code diagnostics} extension member whose {@code dump} string pads the body to the exact
     * size.
     *
     * @param lastMessage index of the last message, named by the first error
     * @param totalBytes the size of the body; at least {@value #HUGE_ERRORS_BYTES} plus 1 KiB
     */
    byte[] hugeValidation(int lastMessage, int totalBytes) {
        if (totalBytes < HUGE_ERRORS_BYTES + 1024) {
            throw new IllegalArgumentException("totalBytes must be at least " + (HUGE_ERRORS_BYTES + 1024));
        }
        ObjectNode p = base(400, VALIDATION_TITLE, "See the errors property for details.");
        ObjectNode e = json.createObjectNode();
        e.putArray("messages[" + lastMessage + "].text")
                .add("The text contains content the assistant does not accept.");
        int estimate = 0;
        for (int i = 0; estimate < HUGE_ERRORS_BYTES; i++) {
            String path = "messages[" + lastMessage + "].text.segments[" + i + "]";
            String first = "Segment " + i + " matches rule content-policy/" + (i % 97) + " (score 0." + (i % 10)
                    + "); the assistant does not accept it.";
            String second =
                    "Rephrase or remove the segment between characters " + (i * 16) + " and " + (i * 16 + 15) + ".";
            e.putArray(path).add(first).add(second);
            estimate += path.length() + first.length() + second.length() + 12;
        }
        p.set("errors", e);
        p.put("traceId", traceId());
        ObjectNode diagnostics = p.putObject("diagnostics");
        diagnostics.put("validator", "content-policy/2.14.1");
        diagnostics.put("rulesEvaluated", e.size());
        diagnostics.put("dump", "");
        int missing = totalBytes - bytes(p).length;
        if (missing < 0) {
            throw new IllegalStateException("the errors alone exceed " + totalBytes + " bytes");
        }
        StringBuilder dump = new StringBuilder(missing);
        for (int i = 0; dump.length() < missing; i++) {
            dump.append("rule ").append(i % 97).append(" evaluated; ");
        }
        dump.setLength(missing);
        diagnostics.put("dump", dump.toString());
        return bytes(p);
    }

    /**
     * A problem of the API's own {@code type} (not an RFC 9110 one) that names what it is about in an extension member,
     * as the vendor's account and resource checks write them.
     *
     * @param status the HTTP status
     * @param type the last segment of the type URI under {@link #PROBLEM_TYPES}
     * @param detail the detail
     * @param member the extension member naming the account or resource, or null for none
     * @param value its value, or null to leave the member out
     */
    byte[] named(int status, String type, String detail, String member, String value) {
        ObjectNode p = base(status, title(status), detail);
        p.put("type", PROBLEM_TYPES + type);
        if (member != null && value != null) {
            p.put(member, value);
        }
        p.put("traceId", traceId());
        return bytes(p);
    }

    /** A problem for {@code status} with a stock title and the given detail. */
    byte[] status(int status, String detail) {
        ObjectNode p = base(status, title(status), detail);
        p.put("traceId", traceId());
        return bytes(p);
    }

    private ObjectNode base(int status, String title, String detail) {
        ObjectNode p = json.createObjectNode();
        p.put("type", type(status));
        p.put("title", title);
        p.put("status", status);
        p.put("detail", detail);
        p.put("instance", INSTANCE);
        return p;
    }

    private byte[] bytes(ObjectNode node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write problem details", e);
        }
    }

    static String traceId() {
        String hex = UUID.randomUUID().toString().replace("-", "");
        return "00-" + hex + "-" + hex.substring(0, 16) + "-00";
    }

    static String type(int status) {
        return switch (status) {
            case 400 -> "https://tools.ietf.org/html/rfc9110#section-15.5.1";
            case 401 -> "https://tools.ietf.org/html/rfc9110#section-15.5.2";
            case 403 -> "https://tools.ietf.org/html/rfc9110#section-15.5.4";
            case 404 -> "https://tools.ietf.org/html/rfc9110#section-15.5.5";
            case 405 -> "https://tools.ietf.org/html/rfc9110#section-15.5.6";
            case 408 -> "https://tools.ietf.org/html/rfc9110#section-15.5.9";
            case 409 -> "https://tools.ietf.org/html/rfc9110#section-15.5.10";
            case 413 -> "https://tools.ietf.org/html/rfc9110#section-15.5.14";
            case 415 -> "https://tools.ietf.org/html/rfc9110#section-15.5.16";
            case 422 -> "https://tools.ietf.org/html/rfc9110#section-15.5.21";
            case 425 -> "https://tools.ietf.org/html/rfc8470#section-5.2";
            case 429 -> "https://tools.ietf.org/html/rfc6585#section-4";
            case 500 -> "https://tools.ietf.org/html/rfc9110#section-15.6.1";
            case 502 -> "https://tools.ietf.org/html/rfc9110#section-15.6.3";
            case 503 -> "https://tools.ietf.org/html/rfc9110#section-15.6.4";
            case 504 -> "https://tools.ietf.org/html/rfc9110#section-15.6.5";
            default -> "about:blank";
        };
    }

    static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 413 -> "Payload Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Entity";
            case 425 -> "Too Early";
            case 429 -> "Too Many Requests";
            case 500 -> "An error occurred while processing your request.";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Error";
        };
    }
}
