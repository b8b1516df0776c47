package dev.chatbridge.api;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>Threads: {@link #start()} runs on the subscribing thread, {@link #onBytes()} on the Netty event loop of the
 * connection, timers on the scheduler; shared state is volatile or atomic.
 */
final class Watchdog implements Disposable {

    private final Scheduler scheduler;
    private final Duration firstByte;
    private final Duration idle;
    private final Duration deadline;
    private final Sinks.One<String> expired = Sinks.one();
    private final Disposable.Composite timers = Disposables.composite();
    private final AtomicBoolean sawBytes = new AtomicBoolean();
    private volatile long lastBytesNanos;

    Watchdog(Scheduler scheduler, Duration firstByte, Duration idle, Duration deadline) {
        this.scheduler = scheduler;
        this.firstByte = firstByte;
        this.idle = idle;
        this.deadline = deadline;
    }

    /** Starts the first-byte and deadline timers. */
    void start() {
        schedule(
                () -> {
                    if (!sawBytes.get()) {
                        expire("no byte of the answer within firstByteTimeout " + firstByte);
                    }
                },
                firstByte.toNanos());
        schedule(() -> expire("the attempt took longer than attemptTimeout " + deadline), deadline.toNanos());
    }

    /** Records that body bytes arrived: ends the first-byte limit, restarts the idle limit. */
    void onBytes() {
        lastBytesNanos = System.nanoTime();
        if (sawBytes.compareAndSet(false, true)) {
            schedule(this::checkIdle, idle.toNanos());
        }
    }

    /** Emits a message when a limit is passed; never completes otherwise. */
    Mono<String> expired() {
        return expired.asMono();
    }

    @Override
    public void dispose() {
        timers.dispose();
    }

    @Override
    public boolean isDisposed() {
        return timers.isDisposed();
    }

    private void checkIdle() {
        long remaining = lastBytesNanos + idle.toNanos() - System.nanoTime();
        if (remaining <= 0) {
            expire("the answer stalled: no byte for idleTimeout " + idle);
        } else {
            schedule(this::checkIdle, remaining);
        }
    }

    private void expire(String message) {
        expired.tryEmitValue(message);
    }

    private void schedule(Runnable task, long nanos) {
        if (!timers.isDisposed()) {
            timers.add(scheduler.schedule(task, nanos, TimeUnit.NANOSECONDS));
        }
    }
}
