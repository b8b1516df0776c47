package dev.chatbridge.devtools.simulator;

import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * The simulator's one seeded random source: latency samples and configured fault draws, plus the state of a running
 * 500/503 burst. Given the same seed and the same order of calls, the same delays and faults come out.
 *
 * <p>Threading: called from Netty event-loop threads; every method holds this object's monitor.
 */
final class Dice {

    private final Random random;
    private final LatencyModel latency;
    private final FaultRates rates;
    private FaultMarker.Kind burstKind;
    private int burstLeft;

    Dice(long seed, LatencyModel latency, FaultRates rates) {
        this.random = new Random(seed);
        this.latency = latency;
        this.rates = rates;
    }

    /** The time to first byte of the next call. */
    synchronized Duration latency() {
        return latency.sample(random);
    }

    /** The configured fault of the next call without a marker, if the draw gives one. */
    synchronized Optional<FaultMarker.Kind> fault() {
        if (burstLeft > 0) {
            burstLeft--;
            return Optional.of(burstKind);
        }
        if (rates.none()) {
            return Optional.empty();
        }
        double draw = random.nextDouble();
        double edge = rates.tooManyRequests();
        if (draw < edge) {
            return Optional.of(FaultMarker.Kind.TOO_MANY_REQUESTS);
        }
        edge += rates.internalError();
        if (draw < edge) {
            return Optional.of(startBurst(FaultMarker.Kind.INTERNAL_ERROR));
        }
        edge += rates.unavailable();
        if (draw < edge) {
            return Optional.of(startBurst(FaultMarker.Kind.UNAVAILABLE));
        }
        edge += rates.connectionReset();
        if (draw < edge) {
            return Optional.of(FaultMarker.Kind.RESET);
        }
        return Optional.empty();
    }

    /** Ends a running burst (reset of the simulator). */
    synchronized void reset() {
        burstLeft = 0;
        burstKind = null;
    }

    private FaultMarker.Kind startBurst(FaultMarker.Kind kind) {
        burstKind = kind;
        burstLeft = rates.burstLength() - 1;
        return kind;
    }
}
