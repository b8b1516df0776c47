package dev.chatbridge.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How a long-running command waits and ends. In a real process a shutdown hook turns SIGTERM/Ctrl-C into a stop
 * request, waits (bounded) until the command has closed everything (the service drains its calls in flight), then ends
 * the JVM with the command's exit code, so a graceful stop exits 0 instead of the signal's 143.
 *
 * <p><b>Threading.</b> The command's thread calls {@link #awaitStopOrFailure} and {@link #finished}; the shutdown hook
 * thread only triggers the stop and waits for {@code finished}.
 */
public final class Lifecycle {

    private final CliContext context;
    private final CountDownLatch done = new CountDownLatch(1);
    /** One permit per wake-up (a stop request or {@link #recheck()}) since the waiter last looked. */
    private final Semaphore wakeUps = new Semaphore(0);

    private final Thread hook;
    private volatile int exitCode = 1;

    /**
     * @param context the command's context
     * @param maxCloseTime how long the hook waits for the command to close after a signal
     */
    public Lifecycle(CliContext context, Duration maxCloseTime) {
        this.context = context;
        context.onStop(this::recheck);
        if (context.processOwner()) {
            hook = new Thread(
                    () -> {
                        context.requestStop();
                        try {
                            done.await(maxCloseTime.toMillis(), TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        context.out().flush();
                        context.err().flush();
                        Runtime.getRuntime().halt(exitCode);
                    },
                    "chat-bridge-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        } else {
            hook = null;
        }
    }

    /**
     * Waits until a stop is requested (returns null) or {@code failure} reports a fatal state (returns its message).
     * {@code failure} is asked once at the start and again on each {@link #recheck()}; between them this thread waits
     * without a timeout, so it reacts to a stop request or a state change at once and costs nothing meanwhile.
     */
    public String awaitStopOrFailure(Supplier<String> failure) {
        try {
            while (true) {
                if (context.stopRequested()) {
                    return null;
                }
                String message = failure.get();
                if (message != null) {
                    return message;
                }
                wakeUps.acquire();
                wakeUps.drainPermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Wakes {@link #awaitStopOrFailure} to ask its failure check again: call it when what the check reads changed (for
     * example from a Kafka Streams state listener). Thread-safe; does not block.
     */
    public void recheck() {
        wakeUps.release();
    }

    /** The command has closed everything; a waiting shutdown hook may end the JVM with {@code code}. */
    public int finished(int code) {
        exitCode = code;
        done.countDown();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shutdownInProgress) {
                // The hook is running: it ends the JVM with exitCode.
                return code;
            }
        }
        return code;
    }
}
