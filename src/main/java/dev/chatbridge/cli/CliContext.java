package dev.chatbridge.cli;

import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * What the commands get from the outside world, passed in rather than read from globals so tests can run every command
 * in-process: the environment, stdin, stdout/stderr, a stop signal (Ctrl-C/SIGTERM in a real process, a test's trigger
 * otherwise) and whether to install a JVM shutdown hook. Thread-safe: the stop signal may be triggered from any thread.
 */
public final class CliContext {

    private final Map<String, String> environment;
    private final InputStream in;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean processOwner;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final List<Runnable> onStop = new CopyOnWriteArrayList<>();

    /**
     * A context.
     *
     * @param environment the environment variables the configuration reads
     * @param in standard input (for {@code send})
     * @param out standard output (results)
     * @param err standard error (diagnostics)
     * @param processOwner true only in {@code main}: install a shutdown hook that stops the running command on
     *     SIGTERM/Ctrl-C and exits with its exit code
     */
    public CliContext(
            Map<String, String> environment, InputStream in, PrintWriter out, PrintWriter err, boolean processOwner) {
        this.environment = Map.copyOf(environment);
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.processOwner = processOwner;
    }

    /** The real process: {@code System.getenv()}, the standard streams, a shutdown hook. */
    public static CliContext system() {
        return new CliContext(
                System.getenv(),
                System.in,
                new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true),
                true);
    }

    /** The environment variables. */
    public Map<String, String> environment() {
        return environment;
    }

    /** Standard input. */
    public InputStream in() {
        return in;
    }

    /** Standard output. */
    public PrintWriter out() {
        return out;
    }

    /** Standard error. */
    public PrintWriter err() {
        return err;
    }

    /** Whether this context owns the process (installs shutdown hooks). */
    public boolean processOwner() {
        return processOwner;
    }

    /** Asks a running command (run, demo, sandbox, simulate, tail --follow) to stop gracefully. */
    public void requestStop() {
        stop.countDown();
        onStop.forEach(Runnable::run);
    }

    /**
     * Runs {@code action} on the thread that requests a stop (at once when one was already requested). It may run more
     * than once, so it must be idempotent and must not block: a wake-up, not the stop itself.
     */
    public void onStop(Runnable action) {
        onStop.add(Objects.requireNonNull(action, "action"));
        if (stopRequested()) {
            action.run();
        }
    }

    /** Whether a stop was requested. */
    public boolean stopRequested() {
        return stop.getCount() == 0;
    }
}
