package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** ProbeLimit on a synthetic clock: every time is a sample's endNanos, nothing sleeps. */
class ProbeLimitTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    /** A 429 answers fast. */
    private static final long DROP_RTT = 10 * MS;

    @Test
    void shouldStartAtEightOrTheCeilingWhenLower() {
        assertThat(new ProbeLimit(100).limit()).isEqualTo(8);
        assertThat(new ProbeLimit(3).limit()).isEqualTo(3);
        assertThat(AdaptiveLimit.of(AdaptiveLimit.Algorithm.PROBE, 100))
                .isInstanceOf(ProbeLimit.class)
                .extracting(AdaptiveLimit::limit)
                .isEqualTo(8);
        assertThatThrownBy(() -> AdaptiveLimit.of(AdaptiveLimit.Algorithm.PROBE, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldDoublePerRoundTripInSlowStartAndStopAtTheCeiling() {
        // Given a ceiling of 100 and an API that never refuses, with every call of a round trip in flight at once
        ProbeLimit limit = new ProbeLimit(100);
        List<Integer> perRoundTrip = new ArrayList<>();
        long t = 0;
        // When 30 round trips of 100 ms run at the limit
        for (int i = 0; i < 30; i++) {
            perRoundTrip.add(limit.limit());
            t = roundTrip(limit, t, 100 * MS, limit.limit(), 0);
        }
        // Then the limit doubles per round trip up to the ceiling, and stays there
        assertThat(perRoundTrip.subList(0, 6)).containsExactly(8, 16, 32, 64, 100, 100);
        assertThat(perRoundTrip.subList(4, 30)).containsOnly(100);
        assertThat(limit.knownDrop()).isZero();
    }

    @Test
    void shouldDecreaseOnceForABurstOfDropsWithinTheHoldAndRememberWhereItDropped() {
        // Given slow start reached 64 (3 round trips of 100 ms: baseline rtt 100 ms, hold 200 ms)
        ProbeLimit limit = new ProbeLimit(1000);
        long t = slowStartTo(limit, 64);
        // When 30 calls come back refused within 30 ms
        for (int i = 0; i < 30; i++) {
            limit.onSample(t + i * MS, DROP_RTT, 64, true);
        }
        // Then the limit decreased once, by 10 %, and slow start is over; 64 is the known drop point
        assertThat(limit.limit()).isEqualTo(57);
        assertThat(limit.knownDrop()).isEqualTo(64);
        assertThat(limit.inSlowStart()).isFalse();
        // And a drop still within the hold (150 ms after the decrease) changes nothing
        limit.onSample(t + 150 * MS, DROP_RTT, 57, true);
        assertThat(limit.limit()).isEqualTo(57);
        // And a drop after the hold is a new congestion event: decreases again
        limit.onSample(t + 250 * MS, DROP_RTT, 57, true);
        assertThat(limit.limit()).isEqualTo(51);
        assertThat(limit.knownDrop()).isEqualTo(57);
    }

    @Test
    void shouldTakeTheCallsInFlightAtTheRefusalAsTheDropPointWhenSlowStartRanPastIt() {
        // Given slow start ran the limit to 128, past an API that refuses above 64 calls
        ProbeLimit limit = new ProbeLimit(1000);
        long t = slowStartTo(limit, 128);

        // When the first refusal comes back with 65 calls in flight
        limit.onSample(t + MS, DROP_RTT, 65, true);

        // Then the drop point is 65 (what the API refused), not 128, and the limit 0.9 of it: below the capacity
        assertThat(limit.knownDrop()).isEqualTo(65);
        assertThat(limit.limit()).isEqualTo(58);
    }

    @Test
    void shouldRecoverByOnePerWindowToJustBelowTheDropPointAndProbeOnlyAfterThirtySecondsThere() {
        // Given a decrease from 64 to 57 (the API refuses above 63)
        ProbeLimit limit = new ProbeLimit(1000);
        long t = slowStartTo(limit, 64);
        limit.onSample(t, DROP_RTT, 64, true);
        assertThat(limit.limit()).isEqualTo(57);
        // When round trips of 100 ms at the limit succeed for 45 s
        List<long[]> changes = new ArrayList<>(); // {time, new limit}
        int last = limit.limit();
        long end = t + 45 * S;
        while (t < end) {
            t = roundTrip(limit, t, 100 * MS, limit.limit(), 0);
            if (limit.limit() != last) {
                last = limit.limit();
                changes.add(new long[] {t, last});
            }
        }
        // Then the limit rose by one per window (1 s) to 62, two below the drop point (ProbeLimit.PLATEAU_MARGIN)
        assertThat(changes.stream().mapToLong(c -> c[1]).limit(7).toArray())
                .containsExactly(58, 59, 60, 61, 62, 63, 64);
        for (int i = 1; i <= 4; i++) {
            assertThat(changes.get(i)[0] - changes.get(i - 1)[0]).isBetween(S, S + 200 * MS);
        }
        // And stayed at 62 for 30 s (up to one window more) without a drop, then probed once: 63, drop point forgotten
        long atPlateau = changes.get(4)[0];
        long probed = changes.get(5)[0];
        assertThat(probed - atPlateau).isBetween(30 * S, 31 * S + 200 * MS);
        // And with no drop after the probe, the capacity grew: +1 per window again
        assertThat(changes.get(6)[1]).isEqualTo(64);
        assertThat(changes.get(6)[0] - probed).isBetween(S, S + 200 * MS);
        assertThat(limit.knownDrop()).isZero();
    }

    @Test
    void shouldSitJustBelowAnApiCapacityOf64WithFewDrops() {
        // Given an API that serves 64 calls at once and refuses the rest (fast), and a ceiling of 256
        ProbeLimit limit = new ProbeLimit(256);
        int capacity = 64;
        long samples = 0;
        long drops = 0;
        long servedLastMinute = 0;
        long roundTripsLastMinute = 0;
        long t = 0;
        // When it runs for 120 simulated seconds, in round trips of 200 ms at the limit
        while (t < 120 * S) {
            int n = limit.limit();
            int refused = Math.max(0, n - capacity);
            t = roundTrip(limit, t, 200 * MS, n, refused);
            samples += n;
            drops += refused;
            if (t > 60 * S) {
                servedLastMinute += n - refused;
                roundTripsLastMinute++;
            }
            assertThat(limit.limit()).isBetween(1, 256);
        }
        // Then it ends just below the capacity, drops are under 2 % of the calls, and the last minute served
        // at least 0.9 of what 64 calls at once allow
        assertThat(limit.limit()).isBetween(58, 65);
        assertThat((double) drops / samples).isLessThan(0.02);
        assertThat((double) servedLastMinute / (roundTripsLastMinute * capacity))
                .isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void shouldStopGrowingWhileLatencyIsAboveTwiceTheBaseline() {
        // Given 2 s of light load (1 call in flight, no growth) at 100 ms: the baseline
        ProbeLimit limit = new ProbeLimit(10_000);
        long t = ticks(limit, 0, 20, 100 * MS, 1);
        assertThat(limit.limit()).isEqualTo(8);
        // When the load comes and latency triples: slow start grows until a window ends (at most 2 s), then stops
        int ticks = 0;
        while (limit.inSlowStart() && ticks < 20) {
            t = ticks(limit, t, 1, 300 * MS, -1);
            ticks++;
        }
        assertThat(limit.inSlowStart()).isFalse();
        int held = limit.limit();
        assertThat(held).isGreaterThan(8);
        // Then 5 more windows at triple latency with the limit in use do not raise it
        t = ticks(limit, t, 50, 300 * MS, -1);
        assertThat(limit.limit()).isEqualTo(held);
        // And when latency is back to the baseline, it grows by one per window (no known drop point)
        t = ticks(limit, t, 30, 100 * MS, -1);
        assertThat(limit.limit()).isBetween(held + 2, held + 3);
        // And a latency rise holds it again
        int before = limit.limit();
        ticks(limit, t, 50, 250 * MS, -1);
        assertThat(limit.limit()).isBetween(before, before + 1);
    }

    @Test
    void shouldNotEndSlowStartAtTheFirstWindowWhenRttsJustVary() {
        // Given calls whose durations vary tenfold (as LLM calls do), with no queueing: mean far above the minimum
        ProbeLimit limit = new ProbeLimit(100_000);
        long t = 0;
        for (int tick = 0; tick < 35; tick++) {
            t += 100 * MS;
            for (int i = 0; i < 10; i++) {
                long rtt = (i % 2 == 0) ? 40 * MS : 400 * MS;
                limit.onSample(t, rtt, limit.limit(), false);
            }
        }
        // Then after three windows slow start still runs (each window's mean is like the others)
        assertThat(limit.inSlowStart()).isTrue();
        assertThat(limit.limit()).isEqualTo(8 + 350);
    }

    @Test
    void shouldStayWithinOneAndTheCeiling() {
        for (int ceiling : new int[] {1, 2, 10}) {
            ProbeLimit limit = new ProbeLimit(ceiling);
            Random random = new Random(42 + ceiling);
            long t = 0;
            for (int i = 0; i < 20_000; i++) {
                t += random.nextInt(50) * MS;
                boolean dropped = random.nextInt(20) == 0 && t < 100 * S;
                limit.onSample(t, (1 + random.nextInt(500)) * MS, 1 + random.nextInt(2 * ceiling), dropped);
                assertThat(limit.limit()).as("ceiling %d", ceiling).isBetween(1, ceiling);
            }
        }
    }

    /** Slow start at 100 ms round trips until the limit is {@code target}; the time after the last round trip. */
    private static long slowStartTo(ProbeLimit limit, int target) {
        long t = 0;
        while (limit.limit() < target) {
            t = roundTrip(limit, t, 100 * MS, limit.limit(), 0);
        }
        assertThat(limit.limit()).isEqualTo(target);
        return t;
    }

    /**
     * One round trip starting at {@code start}: {@code n} calls sent at once, {@code refused} of them answered 429
     * after 10 ms, the others served in {@code rtt}, each ending with all {@code n} in flight. Returns its end.
     */
    private static long roundTrip(ProbeLimit limit, long start, long rtt, int n, int refused) {
        for (int i = 0; i < refused; i++) {
            limit.onSample(start + DROP_RTT, DROP_RTT, n, true);
        }
        for (int i = refused; i < n; i++) {
            limit.onSample(start + rtt, rtt, n, false);
        }
        return start + rtt;
    }

    /**
     * {@code count} ticks of 100 ms after {@code start}, each with 10 calls of {@code rtt} ending; in flight
     * {@code inFlight}, or the limit when -1. Returns the time of the last tick.
     */
    private static long ticks(ProbeLimit limit, long start, int count, long rtt, int inFlight) {
        long t = start;
        for (int tick = 0; tick < count; tick++) {
            t += 100 * MS;
            for (int i = 0; i < 10; i++) {
                limit.onSample(t, rtt, inFlight < 0 ? limit.limit() : inFlight, false);
            }
        }
        return t;
    }
}
