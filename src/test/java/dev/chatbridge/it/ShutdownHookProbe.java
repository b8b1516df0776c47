package dev.chatbridge.it;

import dev.chatbridge.Main;
import dev.chatbridge.cli.Lifecycle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The main class of a child JVM for {@link ShutdownHooksIT}: registers a shutdown hook of its own, then runs
 * {@link Main} with the remaining arguments. The hook stands for another library's (a log appender's flush, an agent's
 * export) that takes longer than chat-bridge's: it waits until chat-bridge's hook thread has ended, then writes the
 * marker file named by the first argument.
 */
public final class ShutdownHookProbe {

    private ShutdownHookProbe() {}

    public static void main(String[] args) {
        Path marker = Path.of(args[0]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> writeAfterChatBridgeHook(marker), "probe-shutdown-hook"));
        Main.main(Arrays.copyOfRange(args, 1, args.length));
    }

    private static void writeAfterChatBridgeHook(Path marker) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        try {
            // Hooks start in no set order: wait (bounded) for chat-bridge's to appear, then for it to end.
            Optional<Thread> hook = Optional.empty();
            while (hook.isEmpty() && System.nanoTime() - deadline < 0) {
                hook = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().equals(Lifecycle.HOOK_THREAD_NAME))
                        .findFirst();
                Thread.sleep(1);
            }
            if (hook.isPresent()) {
                hook.get().join(30_000);
            }
            Files.writeString(
                    marker,
                    hook.isPresent() ? "ran after chat-bridge's hook\n" : "chat-bridge's hook never ran\n",
                    StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
