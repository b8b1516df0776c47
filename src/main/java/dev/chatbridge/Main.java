package dev.chatbridge;

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
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code, without exiting (for tests). */
    public static int execute(String... args) {
        return new CommandLine(new Main()).execute(args);
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
