package dev.chatbridge.cli;

import java.util.ServiceLoader;
import picocli.CommandLine;

/** Registers chat-bridge's subcommands on the top-level command line. */
public final class Commands {

    private Commands() {}

    /**
     * Adds every subcommand, each bound to {@code context}: the service's own, then those of every {@link CommandSet}
     * on the class path (the development tools, in the full jar only). Returns {@code commandLine}.
     */
    public static CommandLine register(CommandLine commandLine, CliContext context) {
        commandLine.addSubcommand(new RunCommand(context));
        commandLine.addSubcommand(new SendCommand(context));
        commandLine.addSubcommand(new TailCommand(context));
        commandLine.addSubcommand(new TopologyCommand(context));
        commandLine.addSubcommand(new ResetCommand(context));
        for (CommandSet set : ServiceLoader.load(CommandSet.class, Commands.class.getClassLoader())) {
            set.commands(context).forEach(commandLine::addSubcommand);
        }
        // Descriptions are written as lines of up to ~105 characters; keep picocli from re-wrapping them at 80.
        commandLine.setUsageHelpWidth(110);
        commandLine.setOut(context.out());
        commandLine.setErr(context.err());
        return commandLine;
    }
}
