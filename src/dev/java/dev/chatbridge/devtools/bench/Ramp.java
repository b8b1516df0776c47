package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.SimulatorCounters;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The warm-up, watched: how long after the first API call the calls in flight first filled {@value #FULL} of the limit
 * (mean over one {@value #STEP_MS} ms step, from the simulator's concurrency integral). A cold JVM needs its JIT before
 * it keeps up; this says how long that took.
 */
final class Ramp {

    static final double FULL = 0.9;
    static final long STEP_MS = 500;

    private Ramp() {}

    /**
     * Sleeps {@code warmup} from now, reading {@code counters} every step.
     *
     * @return seconds from the start until the first step at or above {@value #FULL} of {@code limit} in flight, or NaN
     *     when no step reached it during the warm-up
     */
    static double watch(
            Supplier<SimulatorCounters> counters, int limit, Duration warmup, ChildJvm child, BooleanSupplier stop) {
        long start = System.nanoTime();
        long end = start + warmup.toNanos();
        double reached = Double.NaN;
        SimulatorCounters previous = counters.get();
        while (System.nanoTime() < end) {
            Waits.sleep(
                    Duration.ofMillis(Math.min(STEP_MS, Math.max(1, (end - System.nanoTime()) / 1_000_000))),
                    child,
                    stop);
            SimulatorCounters now = counters.get();
            if (Double.isNaN(reached) && full(previous, now, limit)) {
                reached = (now.nanoTime() - start) / 1e9;
            }
            previous = now;
        }
        return reached;
    }

    static boolean full(SimulatorCounters earlier, SimulatorCounters later, int limit) {
        return later.nanoTime() > earlier.nanoTime() && later.meanInFlightSince(earlier) >= FULL * limit;
    }
}
