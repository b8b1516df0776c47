package dev.chatbridge.policy;

import java.util.List;

/**
 * The {@code chat.policy.*} settings cannot make a policy: one line per problem, each starting with the setting it is
 * about and saying the fix. Thrown at start, so a mistake stops the service instead of denying (or allowing) every
 * request. Never carries a key or a token.
 */
public final class InvalidPolicyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** An exception for the given problems (at least one). */
    public InvalidPolicyException(List<String> problems) {
        super("invalid request policy:\n  " + String.join("\n  ", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an InvalidPolicyException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, each starting with the setting's key. */
    public List<String> problems() {
        return problems;
    }
}
