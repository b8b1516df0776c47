package dev.chatbridge.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.tools.StreamsResetter;

/**
 * Runs Kafka's Streams reset tool in this JVM and hands its output to the command's streams.
 *
 * <p>The tool prints with {@code System.out} and {@code System.err}; while it runs both are replaced by streams that
 * pass the calling thread's lines to the given consumers and everything other threads print to the original streams.
 * The tool reports an error as {@code ERROR: <e>} followed by e's stack trace: the message lines are passed on once,
 * the {@code at ...} frames are dropped. Kafka's {@code Exit} is made to throw instead of ending the JVM (the tool's
 * argument parser calls it on bad arguments), and the tool turns that into exit code 1. One run at a time per JVM.
 */
final class KafkaResetTool {

    /** The tool, as a function of its arguments (tests put a fake here). */
    @FunctionalInterface
    interface Tool {
        int execute(String[] args);
    }

    /** Kafka's own tool. */
    static final Tool KAFKA = args -> new StreamsResetter().execute(args);

    private static final String ERROR = "ERROR: ";
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ more)");

    private KafkaResetTool() {}

    /**
     * Runs {@code tool} with {@code args}; returns its exit code.
     *
     * @param out receives each line the tool prints on standard output
     * @param err receives each line it prints on standard error, without stack frames
     */
    static synchronized int run(Tool tool, List<String> args, Consumer<String> out, Consumer<String> err) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        Thread owner = Thread.currentThread();
        LineSink outLines = new LineSink(out);
        String[] previous = {""};
        LineSink errLines = new LineSink(line -> {
            // The tool prints "ERROR: " + e, then e's stack trace, which starts with e again.
            boolean repeated = previous[0].startsWith(ERROR)
                    && previous[0].substring(ERROR.length()).equals(line);
            previous[0] = line;
            if (!repeated && !STACK_FRAME.matcher(line).find()) {
                err.accept(line);
            }
        });
        System.setOut(new PrintStream(new ByThread(owner, outLines, originalOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new ByThread(owner, errLines, originalErr), true, StandardCharsets.UTF_8));
        Exit.setExitProcedure((code, message) -> {
            throw new IllegalStateException(
                    "the reset tool asked to exit with code " + code + (message == null ? "" : ": " + message));
        });
        try {
            return tool.execute(args.toArray(String[]::new));
        } finally {
            Exit.resetExitProcedure();
            System.out.flush();
            System.err.flush();
            System.setOut(originalOut);
            System.setErr(originalErr);
            outLines.finish();
            errLines.finish();
        }
    }

    /** Sends the owner thread's bytes to one stream and every other thread's to another. */
    private static final class ByThread extends OutputStream {
        private final Thread owner;
        private final OutputStream mine;
        private final OutputStream others;

        ByThread(Thread owner, OutputStream mine, OutputStream others) {
            this.owner = owner;
            this.mine = mine;
            this.others = others;
        }

        private OutputStream target() {
            return Thread.currentThread() == owner ? mine : others;
        }

        @Override
        public void write(int b) throws IOException {
            target().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            target().flush();
        }
    }

    /** Collects bytes into UTF-8 lines and hands each complete line on. */
    private static final class LineSink extends OutputStream {
        private final Consumer<String> lines;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineSink(Consumer<String> lines) {
            this.lines = lines;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                emit();
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        private void emit() {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            lines.accept(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
        }

        /** Hands on a last line without a line break. */
        synchronized void finish() {
            if (line.size() > 0) {
                emit();
            }
        }
    }
}
