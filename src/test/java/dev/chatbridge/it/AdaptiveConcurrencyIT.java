package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.CallTiming;
import dev.chatbridge.devtools.simulator.LatencyModel;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.AdaptiveLimit;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One instance with {@code chat.max.in.flight} 256 against an API that serves at most 64 calls at once (429 with
 * Retry-After: 1 above that), with the adaptive limit off and then on.
 */
@WithKafka
class AdaptiveConcurrencyIT {

    private static final int CEILING = 256;
    private static final int CAPACITY = 64;
    private static final Duration LATENCY = Duration.ofMillis(200);
    private static final int THREADS = 2_400;
    private static final int TURNS = 5;
    /**
     * Throughput is measured from this long after the first call: the limit finds the capacity meanwhile (measured: a
     * first refusal in slow start within 1 s, at most one more as it recovers to the drop point, 6 to 7 s in, and about
     * 6 s of recovery after it)...
     */
    private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(15);
    /** ...for this long, while the backlog lasts (12,000 requests at 315/s last 38 s). */
    private static final long MEASURED_NANOS = TimeUnit.SECONDS.toNanos(20);
    /**
     * The algorithm of the adaptive run: PROBE (the default, asserted on); {@code -Dchatbridge.it.algorithm=AIMD} or
     * GRADIENT2 measures Netflix's for docs/benchmarks.md, whose figures are printed but not held to the bounds.
     */
    private static final AdaptiveLimit.Algorithm ALGORITHM =
            AdaptiveLimit.Algorithm.valueOf(System.getProperty("chatbridge.it.algorithm", "PROBE"));

    /** What one run measured at the simulator. */
    record Run(long calls, long refusals, double answeredPerSecond, double meanLatencyMs, long durationMs) {
        double refusedShare() {
            return refusals / (double) calls;
        }

        /** What {@value #CAPACITY} concurrent calls allow at the measured latency. */
        double allowedPerSecond() {
            return CAPACITY * 1000.0 / meanLatencyMs;
        }

        double efficiency() {
            return answeredPerSecond / allowedPerSecond();
        }

        /** Answers per second over the whole run (warm-up and drain included) / what 64 calls allow. */
        double wholeRunEfficiency(int requests) {
            return requests * 1000.0 / durationMs / allowedPerSecond();
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "calls=%d 429s=%d (%.2f %%) answered=%.1f/s allowed=%.1f/s efficiency=%.3f duration=%dms",
                    calls,
                    refusals,
                    100 * refusedShare(),
                    answeredPerSecond,
                    allowedPerSecond(),
                    efficiency(),
                    durationMs);
        }
    }

    @Test
    @Timeout(value = 330, unit = TimeUnit.SECONDS)
    void shouldKeep429sRareAndThroughputNearTheApisCapacityWhenAdaptive(KafkaCluster kafka) throws Exception {
        // Given the same 12,000 requests of 2,400 threads, once with a fixed limit of 256, once adaptive below it
        Run fixed = run(kafka, false);
        Run adaptive = run(kafka, true);

        System.out.printf(
                "IT-FIGURES AdaptiveConcurrencyIT: adaptive off: %s whole-run=%.3f%n",
                fixed, fixed.wholeRunEfficiency(THREADS * TURNS));
        System.out.printf(
                "IT-FIGURES AdaptiveConcurrencyIT: adaptive on (%s):  %s whole-run=%.3f%n",
                ALGORITHM, adaptive, adaptive.wholeRunEfficiency(THREADS * TURNS));
        if (ALGORITHM != AdaptiveLimit.Algorithm.PROBE) {
            return; // a comparison run
        }

        // Then the adaptive limit keeps 429s below 2 % of calls and throughput at 0.9 or more of the capacity
        assertThat(adaptive.refusedShare()).as("429 share with adaptive on").isLessThan(0.02);
        assertThat(adaptive.efficiency())
                .as("throughput / what %d concurrent calls allow, adaptive on", CAPACITY)
                .isGreaterThanOrEqualTo(0.9);
        assertThat(fixed.refusedShare())
                .as("429 share with a fixed limit of %d (the problem the adaptive limit solves)", CEILING)
                .isGreaterThan(0.1);
    }

    private static Run run(KafkaCluster kafka, boolean adaptiveOn) throws Exception {
        SimulatorConfig.Builder sim = SimulatorConfig.builder()
                .latency(LatencyModel.fixed(LATENCY))
                .chunks(1)
                .maxConcurrent(CAPACITY)
                .retryAfterSeconds(1)
                .callTimings(200_000)
                .maxRecordedCalls(200_000);
        try (ItFixture fx = ItFixture.start(kafka, sim, 8);
                OutcomeReader reader = new OutcomeReader(fx)) {
            EngineConfig engine = fx.engine()
                    .maxInFlight(CEILING)
                    .maxPending(4 * CEILING)
                    .adaptive(adaptiveOn)
                    .adaptiveAlgorithm(ALGORITHM)
                    // Generous retries, so that the fixed limit's many 429s still end as answers.
                    .retryPolicy(new RetryPolicy(
                            50,
                            Duration.ofMillis(50),
                            Duration.ofSeconds(1),
                            Duration.ofSeconds(3),
                            Duration.ofSeconds(150),
                            new Random(7)))
                    .build();
            String prefix = adaptiveOn ? "adaptive" : "fixed";
            List<ChatRequest> input = ItFixture.conversations(prefix, THREADS, TURNS, (thread, turn) -> "Turn " + turn);
            List<String> ids = input.stream().map(ChatRequest::getRequestId).toList();
            fx.produce(input);
            long start = System.nanoTime();
            ChatBridgeApp app = fx.startApp(engine);
            assertThat(reader.awaitAll(ids, Duration.ofSeconds(200)))
                    .as("all outcomes, adaptive %s (seen %d of %d)", adaptiveOn, reader.distinctSeen(), ids.size())
                    .isTrue();
            long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            int limitAtEnd = app.resources().limitInForce();
            double paused = app.resources().retryAfterPausedSeconds();
            app.close();
            reader.readToEnd(Duration.ofSeconds(30));

            Invariants.assertExactlyOneOutcomeEach(input, reader.outcomes());
            Invariants.assertOutcomeOrderPerThread(input, reader.outcomes());
            Invariants.assertApiOrderPerThread(input, fx.simulator);
            assertThat(reader.outcomes())
                    .allSatisfy(o -> assertThat(o.isResponse())
                            .as("every request answered")
                            .isTrue());
            List<CallTiming> timings = fx.simulator.drainCallTimings();
            Run run = measure(timings, durationMs);
            System.out.printf(
                    "IT-FIGURES AdaptiveConcurrencyIT: adaptive %s: answers per 1 s from the first call %s; "
                            + "429s at (s) %s%n",
                    adaptiveOn, perSecond(timings), refusalTimes(timings));
            System.out.printf(
                    "IT-FIGURES AdaptiveConcurrencyIT: adaptive %s: limit in force at the end %d, paused %.1f s%n",
                    adaptiveOn, limitAtEnd, paused);
            return run;
        }
    }

    /** Answers (200) ending in each second from the first call, for the report. */
    private static List<Long> perSecond(List<CallTiming> timings) {
        long first = timings.stream().mapToLong(CallTiming::startNanos).min().orElseThrow();
        long[] counts = new long[60];
        timings.stream()
                .filter(t -> "200".equals(t.outcome()))
                .mapToLong(t -> (t.endNanos() - first) / TimeUnit.SECONDS.toNanos(1))
                .filter(second -> second < counts.length)
                .forEach(second -> counts[(int) second]++);
        return Arrays.stream(counts).boxed().toList();
    }

    /** When the first 20 429s ended, in seconds from the first call, for the report. */
    private static List<String> refusalTimes(List<CallTiming> timings) {
        long first = timings.stream().mapToLong(CallTiming::startNanos).min().orElseThrow();
        return timings.stream()
                .filter(t -> "429".equals(t.outcome()))
                .map(t -> String.format(Locale.ROOT, "%.2f", (t.endNanos() - first) / 1e9))
                .sorted()
                .limit(20)
                .toList();
    }

    /** 429 share over the whole run; answers per second and their mean latency in the measured window. */
    static Run measure(List<CallTiming> timings, long durationMs) {
        long first = timings.stream().mapToLong(CallTiming::startNanos).min().orElseThrow();
        long from = first + WARM_UP_NANOS;
        long to = from + MEASURED_NANOS;
        long refusals = timings.stream().filter(t -> "429".equals(t.outcome())).count();
        List<CallTiming> answered = timings.stream()
                .filter(t -> "200".equals(t.outcome()) && t.endNanos() >= from && t.endNanos() < to)
                .toList();
        double meanMs = answered.stream()
                        .mapToLong(t -> t.endNanos() - t.startNanos())
                        .average()
                        .orElseThrow()
                / 1e6;
        return new Run(timings.size(), refusals, answered.size() / (MEASURED_NANOS / 1e9), meanMs, durationMs);
    }
}
