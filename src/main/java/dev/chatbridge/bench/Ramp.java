package dev.chatbridge.bench;

import dev.chatbridge.simulator.SimulatorCounters;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The warm-up, watched: how long after the first API call the calls in flight first filled
 * {@value #FULL} of the limit (mean over one {@value #STEP_MS} ms step, from the simulator's
 * concurrency integral). A cold JVM needs its JIT before it keeps up (about 50 s for the bridge at
 * L = 256 on two shared cores); this says how long that took, and ends the warm-up accordingly.
 */
final class Ramp {

    static final double FULL = 0.9;
    static final long STEP_MS = 500;
    static final long SETTLE_S = 10;

    private Ramp() {
    }

    /**
     * Warms up for at least {@code atLeast} and at most {@code atMost}: past {@code atLeast}, the
     * warm-up ends {@value #SETTLE_S} s after the limit was first filled, so the window starts in
     * the steady state when there is one, and after {@code atMost} when there is none. Reads
     * {@code counters} every step.
     *
     * @return seconds from the start until the first step at or above {@value #FULL} of {@code limit}
     *     in flight, or NaN when no step reached it during the warm-up
     */
    static double watch(Supplier<SimulatorCounters> counters, int limit, Duration atLeast, Duration atMost,
            ChildJvm child, BooleanSupplier stop) {
        long start = System.nanoTime();
        long end = start + atMost.toNanos();
        long minEnd = start + atLeast.toNanos();
        double reached = Double.NaN;
        SimulatorCounters previous = counters.get();
        while (System.nanoTime() < end) {
            Waits.sleep(Duration.ofMillis(Math.min(STEP_MS, Math.max(1, (end - System.nanoTime()) / 1_000_000))),
                    child, stop);
            SimulatorCounters now = counters.get();
            if (Double.isNaN(reached) && full(previous, now, limit)) {
                reached = (now.nanoTime() - start) / 1e9;
                end = Math.min(end, Math.max(minEnd, now.nanoTime() + SETTLE_S * 1_000_000_000L));
            }
            previous = now;
        }
        return reached;
    }

    static boolean full(SimulatorCounters earlier, SimulatorCounters later, int limit) {
        return later.nanoTime() > earlier.nanoTime() && later.meanInFlightSince(earlier) >= FULL * limit;
    }
}
