package dev.chatbridge.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How a long-running command waits and ends. In a real process a shutdown hook turns SIGTERM/Ctrl-C into a stop request
 * and waits, at most {@code maxCloseTime}, until the command has closed everything (the service drains its calls in
 * flight, then closes Kafka Streams); then it returns and the JVM ends as it does after any signal: every other
 * shutdown hook (a log appender's flush, an agent's export) runs to its end, and the exit status is the JVM's for the
 * signal, 143 after SIGTERM and 130 after Ctrl-C. The hook does not halt the JVM to choose another status, since a halt
 * would cut the other hooks short. When the command ends on its own (a failure, {@code demo --exit}), {@code main}
 * exits with the command's code through {@link System#exit}, which runs the hooks as well.
 *
 * <p><b>Threading.</b> The command's thread calls {@link #awaitStopOrFailure} and {@link #finished}; the shutdown hook
 * thread only triggers the stop and waits for {@code finished}.
 */
public final class Lifecycle {

    /** The name of the shutdown hook's thread. */
    public static final String HOOK_THREAD_NAME = "chat-bridge-shutdown";

    private final CliContext context;
    private final CountDownLatch done = new CountDownLatch(1);
    /** One permit per wake-up (a stop request or {@link #recheck()}) since the waiter last looked. */
    private final Semaphore wakeUps = new Semaphore(0);

    private final Thread hook;

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
                    },
                    HOOK_THREAD_NAME);
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

    /**
     * The command has closed everything: a waiting shutdown hook returns, and the JVM's shutdown goes on. Returns
     * {@code code}, the exit code for {@code main} (which the JVM does not use when a signal started the shutdown).
     */
    public int finished(int code) {
        done.countDown();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shutdownInProgress) {
                // A signal started the shutdown and the hook is running: main's System.exit waits for the hooks.
                return code;
            }
        }
        return code;
    }
}
