package dev.chatbridge.devtools.bench;

import dev.chatbridge.Main;
import java.util.Arrays;

/**
 * Entry point of the benchmark's child JVMs: {@code ChildMain <parent pid> bridge|blocking args...}. It ends the child
 * (exit 3) as soon as the parent (the {@code bench} JVM) is gone, so a killed benchmark cannot leave a bridge running,
 * then runs chat-bridge's {@link Main} or {@link BlockingBridge} with the remaining arguments.
 */
public final class ChildMain {

    private ChildMain() {}

    /** See the class documentation. */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ChildMain <parent pid> bridge|blocking [args...]");
            System.exit(2);
        }
        long parent = Long.parseLong(args[0]);
        ProcessHandle.of(parent)
                .ifPresentOrElse(
                        h -> h.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                        () -> Runtime.getRuntime().halt(3));
        String[] rest = Arrays.copyOfRange(args, 2, args.length);
        switch (args[1]) {
            case "bridge" -> Main.main(rest);
            case "blocking" -> BlockingBridge.main(rest);
            default -> {
                System.err.println("unknown child kind " + args[1]);
                System.exit(2);
            }
        }
    }
}
