package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.ReceivedCall;
import dev.chatbridge.devtools.simulator.SimulatorStats;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.it.OutcomeReader.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The engine's guarantees as assertions over committed output and what the simulator received, and the figures every
 * integration test prints.
 */
final class Invariants {

    private Invariants() {}

    /** Every request id of the input has exactly one committed outcome, and no other id has one. */
    static void assertExactlyOneOutcomeEach(List<ChatRequest> input, List<Outcome> outcomes) {
        Map<String, Long> counts =
                outcomes.stream().collect(Collectors.groupingBy(Outcome::requestId, Collectors.counting()));
        Map<String, Long> duplicates = counts.entrySet().stream()
                .filter(e -> e.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(duplicates)
                .as("request ids with more than one committed outcome")
                .isEmpty();
        assertThat(counts.keySet())
                .as("request ids with a committed outcome")
                .containsExactlyInAnyOrderElementsOf(
                        input.stream().map(ChatRequest::getRequestId).toList());
    }

    /**
     * Per thread, outcomes follow input order: within each output topic by offset, and across the two topics by record
     * timestamp (equal timestamps cannot be ordered and are accepted). Every outcome is keyed by its thread.
     */
    static void assertOutcomeOrderPerThread(List<ChatRequest> input, List<Outcome> outcomes) {
        Map<String, Outcome> byId =
                outcomes.stream().collect(Collectors.toMap(Outcome::requestId, Function.identity(), (a, b) -> a));
        for (Map.Entry<String, List<String>> thread : inputOrder(input).entrySet()) {
            List<Outcome> inOrder = thread.getValue().stream().map(byId::get).toList();
            assertThat(inOrder)
                    .as("outcomes of thread %s", thread.getKey())
                    .doesNotContainNull()
                    .allSatisfy(o ->
                            assertThat(o.key()).as("key of %s", o.requestId()).isEqualTo(thread.getKey()));
            Map<String, Long> lastOffsetPerTopic = new HashMap<>();
            for (int i = 0; i < inOrder.size(); i++) {
                Outcome o = inOrder.get(i);
                Long previous = lastOffsetPerTopic.put(o.topic(), o.offset());
                assertThat(previous == null || previous < o.offset())
                        .as(
                                "thread %s: outcome of %s (offset %d of %s) comes after the outcome of a later request "
                                        + "(offset %s)",
                                thread.getKey(), o.requestId(), o.offset(), o.topic(), previous)
                        .isTrue();
                if (i > 0) {
                    assertThat(o.timestamp())
                            .as("thread %s: timestamp of the outcome of %s", thread.getKey(), o.requestId())
                            .isGreaterThanOrEqualTo(inOrder.get(i - 1).timestamp());
                }
            }
        }
    }

    /**
     * Per thread, the simulator received the calls in input order, even across crashes, restarts and task migrations:
     * each call is of the same request as the one before (a retry, or a call sent again after a crash) or of the next
     * one. A call never goes back to an earlier request once a later one was sent (the API would see the conversation
     * out of order), never skips a request, and every request was called.
     */
    static void assertApiOrderPerThread(List<ChatRequest> input, ApiSimulator simulator) {
        for (Map.Entry<String, List<String>> thread : inputOrder(input).entrySet()) {
            List<String> expected = thread.getValue();
            List<String> received = simulator.receivedOrder(thread.getKey()).stream()
                    .map(ReceivedCall::correlationId)
                    .toList();
            int current = -1;
            for (String id : received) {
                int index = expected.indexOf(id);
                assertThat(index)
                        .as("thread %s: call of unknown request %s", thread.getKey(), id)
                        .isNotNegative();
                assertThat(index)
                        .as("thread %s: calls %s skip ahead of input order %s", thread.getKey(), received, expected)
                        .isLessThanOrEqualTo(current + 1);
                assertThat(index)
                        .as(
                                "thread %s: calls %s go back to an earlier turn after a later one (input order %s)",
                                thread.getKey(), received, expected)
                        .isGreaterThanOrEqualTo(current);
                current = index;
            }
            assertThat(current)
                    .as("thread %s: every request called (calls %s)", thread.getKey(), received)
                    .isEqualTo(expected.size() - 1);
        }
    }

    /** At most {@code bound} calls at once at the simulator, and at most one per thread. */
    static void assertConcurrency(ApiSimulator simulator, int bound, boolean onePerThread) {
        SimulatorStats stats = simulator.stats();
        assertThat(stats.peakConcurrent()).as("peak concurrency at the API").isLessThanOrEqualTo(bound);
        if (onePerThread) {
            assertThat(stats.threads().values())
                    .as("peak concurrency of every thread")
                    .allSatisfy(t -> assertThat(t.peakConcurrent()).isLessThanOrEqualTo(1));
        }
    }

    /** All of the above for a run without restarts or migrations. */
    static void assertAll(List<ChatRequest> input, List<Outcome> outcomes, ApiSimulator simulator, int maxInFlight) {
        assertExactlyOneOutcomeEach(input, outcomes);
        assertOutcomeOrderPerThread(input, outcomes);
        assertApiOrderPerThread(input, simulator);
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
        System.out.printf(
                "IT-FIGURES %s: requests=%d duration=%dms throughput=%.1f/s apiCalls=%d amplification=%.3f "
                        + "peakConcurrency=%d callsByStatus=%s %s%n",
                test,
                requests,
                millis,
                requests * 1000.0 / Math.max(1, millis),
                stats.totalCalls(),
                stats.totalCalls() / (double) requests,
                stats.peakConcurrent(),
                stats.callsByStatus(),
                extra);
    }
}
