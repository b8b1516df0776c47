package dev.chatbridge.devtools.cli;

import dev.chatbridge.cli.KafkaIo;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.ProblemDetails;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Prints the demo's outcomes readably as they arrive and counts them against the requests sent: done when every
 * expected request has exactly one outcome. Used by one thread.
 */
final class OutcomeTracker {

    private static final int EXCERPT = 70;

    private final Set<String> expected;
    private final PrintWriter out;
    private final Map<String, Integer> outcomesPerRequest = new HashMap<>();
    private final Map<String, Integer> deadLetterReasons = new TreeMap<>();
    private int answered;
    private int retried;

    OutcomeTracker(Set<String> expected, PrintWriter out) {
        this.expected = Set.copyOf(expected);
        this.out = out;
    }

    /** Prints and counts one outcome. */
    void accept(KafkaIo.Outcome outcome) {
        if (outcome.value() instanceof ChatResponse r) {
            count(r.getRequestId());
            answered++;
            if (r.getAttempts() > 1) {
                retried++;
            }
            out.printf(
                    "  answered     %-28s turn %-2s %5d ms  %d attempt%s  \"%s\"%n",
                    r.getThreadId(),
                    r.getMetadata().getOrDefault(DemoTraffic.TURN, "?"),
                    r.getLatencyMs(),
                    r.getAttempts(),
                    r.getAttempts() == 1 ? " " : "s",
                    excerpt(r.getText()));
        } else if (outcome.value() instanceof ChatDeadLetter d) {
            count(d.getRequestId());
            deadLetterReasons.merge(d.getReason().name(), 1, Integer::sum);
            ProblemDetails problem = d.getProblem();
            String turn =
                    d.getRequest() == null ? "?" : d.getRequest().getMetadata().getOrDefault(DemoTraffic.TURN, "?");
            out.printf(
                    "  dead letter  %-28s turn %-2s %s%s: %s%n",
                    d.getThreadId(),
                    turn,
                    d.getReason(),
                    d.getHttpStatus() == null ? "" : " (HTTP " + d.getHttpStatus() + ")",
                    problem != null && problem.getTitle() != null ? problem.getTitle() : excerpt(d.getMessage()));
        }
        out.flush();
    }

    private void count(String requestId) {
        outcomesPerRequest.merge(String.valueOf(requestId), 1, Integer::sum);
    }

    /** Whether every expected request has an outcome. */
    boolean complete() {
        return expected.stream().allMatch(outcomesPerRequest::containsKey);
    }

    /** Expected requests with more than one outcome (should be none). */
    long duplicates() {
        return expected.stream()
                .filter(id -> outcomesPerRequest.getOrDefault(id, 0) > 1)
                .count();
    }

    /** Expected requests without an outcome yet. */
    long missing() {
        return expected.stream()
                .filter(id -> !outcomesPerRequest.containsKey(id))
                .count();
    }

    /** One summary line. */
    String summary() {
        return expected.size() + " requests: " + answered + " answered (" + retried + " after a retry), "
                + deadLetterReasons.values().stream()
                        .mapToInt(Integer::intValue)
                        .sum() + " dead letter(s) "
                + deadLetterReasons + ", " + missing() + " without an outcome, " + duplicates() + " with more than one";
    }

    private static String excerpt(String text) {
        if (text == null) {
            return "";
        }
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= EXCERPT ? flat : flat.substring(0, EXCERPT - 3) + "...";
    }
}
