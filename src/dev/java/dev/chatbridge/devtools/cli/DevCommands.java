package dev.chatbridge.devtools.cli;

import dev.chatbridge.cli.CliContext;
import dev.chatbridge.cli.CommandSet;
import dev.chatbridge.devtools.bench.BenchCommand;
import java.util.List;

/** The development tools' commands, which only the full jar carries (registered in META-INF/services). */
public final class DevCommands implements CommandSet {

    @Override
    public List<Object> commands(CliContext context) {
        return List.of(
                new DemoCommand(context),
                new SandboxCommand(context),
                new SimulateCommand(context),
                new BenchCommand(context));
    }
}
