package dev.chatbridge.cli;

import java.util.List;

/**
 * More subcommands, found on the class path with {@link java.util.ServiceLoader}. The full jar's development tools
 * ({@code demo}, {@code sandbox}, {@code simulate}, {@code bench}, under {@code src/dev}) register this way; the
 * service-only jar carries none, so it offers the service's own commands only.
 */
public interface CommandSet {

    /** The picocli command objects, each bound to {@code context}, in the order help lists them. */
    List<Object> commands(CliContext context);
}
