package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.it.OutcomeReader.Outcome;
import dev.chatbridge.simulator.ApiSimulator;
import dev.chatbridge.simulator.ReceivedCall;
import dev.chatbridge.simulator.SimulatorStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The engine's guarantees as assertions over committed output and what the simulator received,
 * and the figures every integration test prints.
 */
final class Invariants {

    private Invariants() {
    }

    /** Every request id of the input has exactly one committed outcome, and no other id has one. */
    static void assertExactlyOneOutcomeEach(List<ChatRequest> input, List<Outcome> outcomes) {
        Map<String, Long> counts = outcomes.stream()
                .collect(Collectors.groupingBy(Outcome::requestId, Collectors.counting()));
        Map<String, Long> duplicates = counts.entrySet().stream().filter(e -> e.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(duplicates).as("request ids with more than one committed outcome").isEmpty();
        assertThat(counts.keySet()).as("request ids with a committed outcome")
                .containsExactlyInAnyOrderElementsOf(input.stream().map(ChatRequest::getRequestId).toList());
    }

    /**
     * Per thread, outcomes follow input order: within each output topic by offset, and across the
     * two topics by record timestamp (equal timestamps cannot be ordered and are accepted).
     * Every outcome is keyed by its thread.
     */
    static void assertOutcomeOrderPerThread(List<ChatRequest> input, List<Outcome> outcomes) {
        Map<String, Outcome> byId = outcomes.stream()
                .collect(Collectors.toMap(Outcome::requestId, Function.identity(), (a, b) -> a));
        for (Map.Entry<String, List<String>> thread : inputOrder(input).entrySet()) {
            List<Outcome> inOrder = thread.getValue().stream().map(byId::get).toList();
            assertThat(inOrder).as("outcomes of thread %s", thread.getKey()).doesNotContainNull()
                    .allSatisfy(o -> assertThat(o.key()).as("key of %s", o.requestId()).isEqualTo(thread.getKey()));
            Map<String, Long> lastOffsetPerTopic = new HashMap<>();
            for (int i = 0; i < inOrder.size(); i++) {
                Outcome o = inOrder.get(i);
                Long previous = lastOffsetPerTopic.put(o.topic(), o.offset());
                assertThat(previous == null || previous < o.offset())
                        .as("thread %s: outcome of %s (offset %d of %s) comes after the outcome of a later request "
                                + "(offset %s)", thread.getKey(), o.requestId(), o.offset(), o.topic(), previous)
                        .isTrue();
                if (i > 0) {
                    assertThat(o.timestamp()).as("thread %s: timestamp of the outcome of %s", thread.getKey(),
                            o.requestId()).isGreaterThanOrEqualTo(inOrder.get(i - 1).timestamp());
                }
            }
        }
    }

    /**
     * Per thread, the simulator received the calls in input order: each call is of the same
     * request as the one before (a retry), of the next one, or, at most {@code allowedRewinds}
     * times per thread, of an earlier one (a restart or task migration re-sending from the last
     * commit); a call never skips a request, and every request was called.
     */
    static void assertApiOrderPerThread(List<ChatRequest> input, ApiSimulator simulator, int allowedRewinds) {
        for (Map.Entry<String, List<String>> thread : inputOrder(input).entrySet()) {
            int rewinds = 0;
            List<String> expected = thread.getValue();
            List<String> received = simulator.receivedOrder(thread.getKey()).stream()
                    .map(ReceivedCall::correlationId).toList();
            int current = -1;
            int highest = -1;
            for (String id : received) {
                int index = expected.indexOf(id);
                assertThat(index).as("thread %s: call of unknown request %s", thread.getKey(), id).isNotNegative();
                assertThat(index).as("thread %s: calls %s skip ahead of input order %s", thread.getKey(), received,
                        expected).isLessThanOrEqualTo(highest + 1);
                if (index < current) {
                    rewinds++;
                }
                current = index;
                highest = Math.max(highest, index);
            }
            assertThat(highest).as("thread %s: every request called (calls %s)", thread.getKey(), received)
                    .isEqualTo(expected.size() - 1);
            assertThat(rewinds).as("thread %s: calls re-sent from an earlier request (restarts, migrations): %s",
                    thread.getKey(), received).isLessThanOrEqualTo(allowedRewinds);
        }
    }

    /** At most {@code bound} calls at once at the simulator, and at most one per thread. */
    static void assertConcurrency(ApiSimulator simulator, int bound, boolean onePerThread) {
        SimulatorStats stats = simulator.stats();
        assertThat(stats.peakConcurrent()).as("peak concurrency at the API").isLessThanOrEqualTo(bound);
        if (onePerThread) {
            assertThat(stats.threads().values()).as("peak concurrency of every thread")
                    .allSatisfy(t -> assertThat(t.peakConcurrent()).isLessThanOrEqualTo(1));
        }
    }

    /** All of the above for a run without restarts or migrations. */
    static void assertAll(List<ChatRequest> input, List<Outcome> outcomes, ApiSimulator simulator, int maxInFlight) {
        assertExactlyOneOutcomeEach(input, outcomes);
        assertOutcomeOrderPerThread(input, outcomes);
        assertApiOrderPerThread(input, simulator, 0);
        assertConcurrency(simulator, maxInFlight, true);
    }

    /** Request ids per thread in input order. */
    static Map<String, List<String>> inputOrder(List<ChatRequest> input) {
        Map<String, List<String>> order = new LinkedHashMap<>();
        for (ChatRequest r : input) {
            order.computeIfAbsent(r.getThreadId(), k -> new ArrayList<>()).add(r.getRequestId());
        }
        return order;
    }

    /** Prints the figures of a run on one line, for the report. */
    static void printFigures(String test, int requests, long startNanos, ApiSimulator simulator, String extra) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        SimulatorStats stats = simulator.stats();
        System.out.printf("IT-FIGURES %s: requests=%d duration=%dms throughput=%.1f/s apiCalls=%d amplification=%.3f "
                        + "peakConcurrency=%d callsByStatus=%s %s%n",
                test, requests, millis, requests * 1000.0 / Math.max(1, millis), stats.totalCalls(),
                stats.totalCalls() / (double) requests, stats.peakConcurrent(), stats.callsByStatus(), extra);
    }
}
