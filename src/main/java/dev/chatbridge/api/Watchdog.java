package dev.chatbridge.api;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * The three time limits of one attempt besides connecting: time to the first body byte, longest gap between body
 * chunks, and the overall deadline. {@link #expired()} emits a message naming the limit that was passed; the caller
 * races it against the exchange.
 *
 * <p><b>One timer at a time.</b> A check runs at the earliest moment a limit could be passed, given what is known then:
 * the first-byte limit (while no byte came), the idle limit of the last byte (or of a byte that might come now), the
 * deadline. A check that finds no limit passed schedules the next one; bytes only record their time. So an answer that
 * ends before its first check (almost all) costs one timer, scheduled and cancelled, instead of three: scheduling and
 * cancelling them was 2 % of the bridge's CPU at L = 1,024 (JFR: 18 of 961 samples, docs/benchmarks.md).
 *
 * <p>Threads: {@link #start()} runs on the subscribing thread, {@link #onBytes()} on the Netty event loop of the
 * connection, checks on the scheduler; shared state is volatile or atomic.
 */
final class Watchdog implements Disposable {

    private final Scheduler scheduler;
    private final Duration firstByte;
    private final Duration idle;
    private final Duration deadline;
    private final long firstByteNanos;
    private final long idleNanos;
    private final long deadlineNanos;
    private final Sinks.One<String> expired = Sinks.one();
    private final Disposable.Swap timer = Disposables.swap();
    private volatile boolean sawBytes;
    private volatile long startNanos;
    private volatile long lastBytesNanos;

    Watchdog(Scheduler scheduler, Duration firstByte, Duration idle, Duration deadline) {
        this.scheduler = scheduler;
        this.firstByte = firstByte;
        this.idle = idle;
        this.deadline = deadline;
        this.firstByteNanos = firstByte.toNanos();
        this.idleNanos = idle.toNanos();
        this.deadlineNanos = deadline.toNanos();
    }

    /** Starts the limits: the first check runs when the earliest of them could be passed. */
    void start() {
        startNanos = System.nanoTime();
        schedule(Math.min(firstByteNanos, Math.min(idleNanos, deadlineNanos)));
    }

    /** Records that body bytes arrived: ends the first-byte limit, restarts the idle limit. */
    void onBytes() {
        lastBytesNanos = System.nanoTime();
        if (!sawBytes) {
            sawBytes = true;
        }
    }

    /** Emits a message when a limit is passed; never completes otherwise. */
    Mono<String> expired() {
        return expired.asMono();
    }

    @Override
    public void dispose() {
        timer.dispose();
    }

    @Override
    public boolean isDisposed() {
        return timer.isDisposed();
    }

    private void check() {
        long now = System.nanoTime();
        long deadlineAt = startNanos + deadlineNanos;
        if (now - deadlineAt >= 0) {
            expire("the attempt took longer than attemptTimeout " + deadline);
            return;
        }
        long next;
        if (sawBytes) {
            long idleAt = lastBytesNanos + idleNanos;
            if (now - idleAt >= 0) {
                expire("the answer stalled: no byte for idleTimeout " + idle);
                return;
            }
            next = idleAt;
        } else {
            long firstByteAt = startNanos + firstByteNanos;
            if (now - firstByteAt >= 0) {
                expire("no byte of the answer within firstByteTimeout " + firstByte);
                return;
            }
            // A byte may come right after this check: its idle limit would then end idleTimeout from now.
            next = now + Math.min(firstByteAt - now, idleNanos);
        }
        schedule(Math.min(next - now, deadlineAt - now));
    }

    private void expire(String message) {
        expired.tryEmitValue(message);
    }

    private void schedule(long nanos) {
        if (!timer.isDisposed()) {
            timer.update(scheduler.schedule(this::check, nanos, TimeUnit.NANOSECONDS));
        }
    }
}
