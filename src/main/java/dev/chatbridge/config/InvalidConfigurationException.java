package dev.chatbridge.config;

import java.util.List;

/**
 * The configuration cannot start the service: one line per problem, each naming the setting, its environment variable
 * and the fix. A fatal startup state, so an exception; the message never carries a secret.
 */
public final class InvalidConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** An exception for the given problems (at least one). */
    public InvalidConfigurationException(List<String> problems) {
        super("invalid configuration:\n  " + String.join("\n  ", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an InvalidConfigurationException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** One line per problem. */
    public List<String> problems() {
        return problems;
    }
}
