package dev.chatbridge.devtools.cli;

import dev.chatbridge.cli.LogSetup;
import dev.chatbridge.config.ChatBridgeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where {@code demo} and {@code sandbox} put log lines: into a log file named on the terminal, so that a newcomer sees
 * the addresses and the outcomes, or, with {@code --verbose}, on the terminal as {@code run} does. Errors reach the
 * terminal either way.
 */
final class LocalLogs {

    @Option(
            names = "--verbose",
            description = "Print the log lines (the effective configuration, Kafka's warnings) on the terminal "
                    + "instead of into a log file.")
    boolean verbose;

    /** Log lines going to a file until closed; {@link #file()} is null when they stay on the terminal. */
    record Redirect(Path file, AutoCloseable restore) implements AutoCloseable {

        /** The line that tells the user where the log lines are, or null when they are on the terminal. */
        String notice() {
            return file == null ? null : "  Log (configuration, warnings): " + file + "  (--verbose prints it here)";
        }

        /** Restores the terminal; deletes the file when nothing was logged into it (a start that failed at once). */
        @Override
        public void close() {
            try {
                restore.close();
                if (file != null && Files.size(file) == 0) {
                    Files.delete(file);
                }
            } catch (Exception e) {
                throw new IllegalStateException("could not restore logging to the terminal", e);
            }
        }
    }

    /** Unless {@code --verbose}, sends the log lines to a new file {@code <prefix>*.log} in the temp directory. */
    Redirect start(String prefix, ChatBridgeConfig.LogFormat format) throws IOException {
        if (verbose) {
            return new Redirect(null, () -> {});
        }
        Path file = Files.createTempFile(prefix, ".log");
        return new Redirect(file, LogSetup.toFile(file, format));
    }
}
