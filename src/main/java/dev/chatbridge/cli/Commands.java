package dev.chatbridge.cli;

import dev.chatbridge.bench.BenchCommand;
import picocli.CommandLine;

/** Registers chat-bridge's subcommands on the top-level command line. */
public final class Commands {

    private Commands() {
    }

    /** Adds every subcommand, each bound to {@code context}; returns {@code commandLine}. */
    public static CommandLine register(CommandLine commandLine, CliContext context) {
        commandLine.addSubcommand(new RunCommand(context));
        commandLine.addSubcommand(new DemoCommand(context));
        commandLine.addSubcommand(new SandboxCommand(context));
        commandLine.addSubcommand(new SendCommand(context));
        commandLine.addSubcommand(new TailCommand(context));
        commandLine.addSubcommand(new TopologyCommand(context));
        commandLine.addSubcommand(new ResetCommand(context));
        commandLine.addSubcommand(new SimulateCommand(context));
        commandLine.addSubcommand(new BenchCommand(context));
        // Descriptions are written as lines of up to ~105 characters; keep picocli from re-wrapping them at 80.
        commandLine.setUsageHelpWidth(110);
        commandLine.setOut(context.out());
        commandLine.setErr(context.err());
        return commandLine;
    }
}
