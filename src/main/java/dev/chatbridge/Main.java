package dev.chatbridge;

import dev.chatbridge.cli.CliContext;
import dev.chatbridge.cli.Commands;
import java.io.ByteArrayInputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the chat-bridge jar: {@code java -jar target/chat-bridge.jar <command>}. */
@Command(
        name = "chat-bridge",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = {
            "Answers Avro chat-request events from Kafka with the /chats/v2 assistant API and",
            "publishes chat-response or dead-letter events, keyed by conversation thread."
        },
        footer = {"", "Documentation: README.md and docs/ in the source repository."})
public final class Main implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its exit code. */
    public static void main(String[] args) {
        System.exit(execute(CliContext.system(), args));
    }

    /**
     * Runs the command line in this JVM and returns its exit code, without exiting (for tests): the standard streams,
     * an empty environment, no stdin and no shutdown hook.
     */
    public static int execute(String... args) {
        return execute(Map.of(), args);
    }

    /** Like {@link #execute(String...)} with the given environment variables. */
    public static int execute(Map<String, String> environment, String... args) {
        return execute(
                new CliContext(
                        environment,
                        new ByteArrayInputStream(new byte[0]),
                        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true),
                        false),
                args);
    }

    /** Runs the command line with everything from {@code context}; returns the exit code. */
    public static int execute(CliContext context, String... args) {
        return Commands.register(new CommandLine(new Main()), context).execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Supplies {@code --version} from the build. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"chat-bridge " + Version.get()};
        }
    }
}
