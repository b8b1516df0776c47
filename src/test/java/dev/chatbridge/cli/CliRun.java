package dev.chatbridge.cli;

import dev.chatbridge.Main;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs the command line in-process with an injected environment and stdin, capturing stdout and stderr. */
public final class CliRun {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final CliContext context;

    public CliRun(Map<String, String> environment, String stdin) {
        this.context = new CliContext(
                environment,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                false);
    }

    public CliRun(Map<String, String> environment) {
        this(environment, "");
    }

    /** Runs {@code args} on this run's context and returns the exit code. */
    public int execute(String... args) {
        return Main.execute(context, args);
    }

    public CliContext context() {
        return context;
    }

    public String out() {
        synchronized (out.getBuffer()) {
            return out.toString();
        }
    }

    public String err() {
        synchronized (err.getBuffer()) {
            return err.toString();
        }
    }
}
