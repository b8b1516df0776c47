package dev.chatbridge.devtools.bench;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waits of the benchmark that give up when the child dies or a stop is requested. */
final class Waits {

    private static final long STEP_MS = 50;

    private Waits() {}

    /** Waits until {@code condition}; throws {@link BenchException} naming {@code what} after {@code timeout}. */
    static void until(BooleanSupplier condition, Duration timeout, ChildJvm child, BooleanSupplier stop, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            check(child, stop, what);
            if (System.nanoTime() > deadline) {
                throw new BenchException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            pause(STEP_MS);
        }
    }

    /** Waits until {@code condition} or {@code timeout}; returns whether the condition held. */
    static boolean upTo(
            BooleanSupplier condition, Duration timeout, ChildJvm child, BooleanSupplier stop, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            check(child, stop, what);
            if (System.nanoTime() > deadline) {
                return false;
            }
            pause(STEP_MS);
        }
        return true;
    }

    /** Sleeps {@code duration} in short steps, checking the child and the stop signal. */
    static void sleep(Duration duration, ChildJvm child, BooleanSupplier stop) {
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            check(child, stop, "the end of a pause");
            pause(Math.min(STEP_MS * 4, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private static void check(ChildJvm child, BooleanSupplier stop, String what) {
        if (stop.getAsBoolean()) {
            throw new BenchException("stopped while waiting for " + what);
        }
        if (child != null) {
            child.requireAlive("while waiting for " + what);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        }
    }
}
