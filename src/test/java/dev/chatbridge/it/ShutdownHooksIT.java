package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long-running command stopped with SIGTERM lets the JVM's other shutdown hooks run to their end (chat-bridge's hook
 * waits for the command to close and returns; it does not halt the JVM), and the process ends with the JVM's status for
 * SIGTERM.
 */
class ShutdownHooksIT {

    /** The JVM's exit status after SIGTERM: 128 + 15. */
    static final int SIGTERM_STATUS = 143;

    private final ChildJvms jvms = new ChildJvms();

    @TempDir
    Path dir;

    @AfterEach
    void killChildren() throws InterruptedException {
        jvms.killAll();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldLetAnotherShutdownHookFinishAfterSigterm() throws Exception {
        // Given a command that runs until stopped (simulate) in a JVM with a shutdown hook of its own that ends after
        // chat-bridge's
        Path marker = dir.resolve("other-hook-ran");
        Process child = jvms.launch(
                ShutdownHookProbe.class,
                List.of(
                        marker.toString(),
                        "simulate",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        "0",
                        "--latency-p50",
                        "1",
                        "--latency-p99",
                        "2"),
                "shutdown-hooks");
        Path out = ChildJvms.OUT.resolve("shutdown-hooks.out");
        await("the simulator listens")
                .atMost(Duration.ofSeconds(60))
                .until(() -> !child.isAlive()
                        || (Files.exists(out) && Files.readString(out).contains("listening at")));
        assertThat(child.isAlive()).as("simulate is running; see %s", out).isTrue();

        // When it gets SIGTERM
        child.destroy();

        // Then it ends, with the other hook's work done
        assertThat(child.waitFor(60, TimeUnit.SECONDS))
                .as("ended after SIGTERM")
                .isTrue();
        assertThat(marker).as("written by the other shutdown hook").exists();
        assertThat(child.exitValue()).as("exit status after SIGTERM").isEqualTo(SIGTERM_STATUS);
    }
}
