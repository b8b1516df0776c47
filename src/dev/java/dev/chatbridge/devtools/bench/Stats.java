package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.SimulatorCounters;
import java.util.Arrays;
import java.util.List;

/** The statistics the benchmark prints: percentiles, medians and the efficiency of a window. */
final class Stats {

    private Stats() {}

    /**
     * The {@code p}-th percentile (0 < p <= 100) of {@code values} by the nearest-rank method: the smallest value with
     * at least p % of the values at or below it. NaN for no values.
     */
    static double percentile(long[] values, double p) {
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in (0, 100], was " + p);
        }
        if (values.length == 0) {
            return Double.NaN;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    /** The median of {@code values} (the mean of the middle two for an even count); NaN values are left out. */
    static double median(List<Double> values) {
        double[] v = values.stream()
                .filter(d -> !d.isNaN())
                .mapToDouble(Double::doubleValue)
                .sorted()
                .toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0;
    }

    /**
     * Mean calls in flight between two reads of the simulator's counters divided by the limit {@code limit}: how much
     * of the allowed concurrency was used, from the exact integral of concurrency over the window (never from samples).
     */
    static double efficiency(SimulatorCounters start, SimulatorCounters end, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        return end.meanInFlightSince(start) / limit;
    }

    /** Calls finished per second between two reads. */
    static double callsPerSecond(SimulatorCounters start, SimulatorCounters end) {
        long dt = end.nanoTime() - start.nanoTime();
        return dt <= 0 ? 0.0 : (end.finishedCalls() - start.finishedCalls()) * 1e9 / dt;
    }

    /**
     * Little's bound on calls per second with {@code limit} calls in flight that each take the window's mean call time
     * (busy time per finished call): the best any dispatcher could do.
     */
    static double littleBound(SimulatorCounters start, SimulatorCounters end, int limit) {
        double meanCallNanos = end.meanCallNanosSince(start);
        return meanCallNanos <= 0 ? Double.NaN : limit * 1e9 / meanCallNanos;
    }
}
