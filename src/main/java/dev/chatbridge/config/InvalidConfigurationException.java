package dev.chatbridge.config;

import java.util.List;

/**
 * The one type of configuration error: the settings cannot make what was asked (the service, its engine, API client,
 * registry client or request policy). One line per problem, each naming the setting and, where it has one, its
 * environment variable ({@link ConfigLoader#withEnvironmentVariable(String)} adds it to a line that names a setting but
 * not its variable), and the fix. A fatal startup state, so an exception; the message never carries a secret.
 */
public final class InvalidConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** An exception for the given problems (at least one). */
    public InvalidConfigurationException(List<String> problems) {
        this(annotated(problems), true);
    }

    /** An exception for the given problems (at least one), found by a failure of its own ({@code cause}). */
    public InvalidConfigurationException(List<String> problems, Throwable cause) {
        this(annotated(problems), true);
        initCause(cause);
    }

    private InvalidConfigurationException(List<String> problems, boolean annotated) {
        super("invalid configuration:\n  " + String.join("\n  ", problems));
        this.problems = problems;
    }

    /** Throws an exception for {@code problems} unless there are none. */
    public static void throwIfAny(List<String> problems) {
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
    }

    private static List<String> annotated(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an InvalidConfigurationException needs at least one problem");
        }
        return problems.stream().map(ConfigLoader::withEnvironmentVariable).toList();
    }

    /** One line per problem. */
    public List<String> problems() {
        return problems;
    }
}
