package dev.chatbridge.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One list of account rules ({@link PolicyConfigDef#ACCOUNTS_ALLOWED} or {@link PolicyConfigDef#ACCOUNTS_DENIED}),
 * parsed once at start. An entry is an exact address ({@code alice@example.com}), a domain ({@code @example.com}: that
 * domain only), the sub-domains of a domain ({@code @*.example.com}: any depth, not the domain itself) or a pattern
 * ({@code regex:...}, case-insensitive, matching the whole address). Addresses are compared in lower case (ASCII;
 * {@link #plainAddressProblem} refuses anything else before rules are applied).
 *
 * <p>Patterns are Java regular expressions, which can backtrack exponentially; each match runs on a character sequence
 * that stops it after {@link #MATCH_BUDGET} character reads, and a match that runs out counts as "matches" in a deny
 * list and "does not match" in an allow list (fail closed either way). Immutable and thread-safe.
 */
final class AccountRules {

    /** Longest pattern accepted. */
    static final int MAX_PATTERN_CHARS = 512;
    /** Character reads one pattern match may make before it is abandoned. */
    static final int MATCH_BUDGET = 200_000;
    /** Longest account the policy looks at (RFC 5321 limits a path to 256). */
    static final int MAX_ACCOUNT_CHARS = 320;

    private final String setting;
    private final List<Rule> rules;

    private AccountRules(String setting, List<Rule> rules) {
        this.setting = setting;
        this.rules = rules;
    }

    /** Parses {@code entries}; adds one problem per bad entry, naming {@code setting}. */
    static AccountRules parse(String setting, List<String> entries, List<String> problems) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : entries) {
            String entry = raw.trim();
            Rule rule = rule(setting, entry, problems);
            if (rule != null) {
                rules.add(rule);
            }
        }
        return new AccountRules(setting, List.copyOf(rules));
    }

    private static Rule rule(String setting, String entry, List<String> problems) {
        if (entry.isEmpty()) {
            problems.add(setting + " has an empty entry: remove the stray comma");
            return null;
        }
        if (entry.regionMatches(true, 0, PolicyConfigDef.REGEX_PREFIX, 0, PolicyConfigDef.REGEX_PREFIX.length())) {
            String regex = entry.substring(PolicyConfigDef.REGEX_PREFIX.length());
            if (regex.isEmpty() || regex.length() > MAX_PATTERN_CHARS) {
                problems.add(setting + " entry " + quote(entry) + ": a pattern must have 1 to " + MAX_PATTERN_CHARS
                        + " characters after " + PolicyConfigDef.REGEX_PREFIX);
                return null;
            }
            try {
                return new Rule(Kind.PATTERN, entry, null, Pattern.compile(regex, Pattern.CASE_INSENSITIVE));
            } catch (PatternSyntaxException e) {
                problems.add(setting + " entry " + quote(entry) + " is not a valid Java regular expression ("
                        + e.getDescription() + " near index " + e.getIndex() + "): fix the pattern; note that a "
                        + "list entry cannot contain a comma");
                return null;
            }
        }
        String lower = entry.toLowerCase(Locale.ROOT);
        if (lower.startsWith("@*.")) {
            String domain = lower.substring(3);
            return domainProblem(setting, entry, domain, problems)
                    ? null
                    : new Rule(Kind.SUBDOMAINS, entry, "." + domain, null);
        }
        if (lower.startsWith("@")) {
            String domain = lower.substring(1);
            return domainProblem(setting, entry, domain, problems) ? null : new Rule(Kind.DOMAIN, entry, domain, null);
        }
        String problem = plainAddressProblem(lower);
        if (problem != null) {
            problems.add(setting + " entry " + quote(entry) + " is not an address, @domain, @*.domain or "
                    + PolicyConfigDef.REGEX_PREFIX + "pattern (" + problem + ")");
            return null;
        }
        return new Rule(Kind.EXACT, entry, lower, null);
    }

    private static boolean domainProblem(String setting, String entry, String domain, List<String> problems) {
        String problem = plainAddressProblem("x@" + domain);
        if (problem != null || domain.contains("*")) {
            problems.add(setting + " entry " + quote(entry) + " is not a valid domain rule: write @example.com "
                    + "(that domain) or @*.example.com (its sub-domains)");
            return true;
        }
        return false;
    }

    /**
     * Why {@code account} is not a plain address the rules can judge safely, or null: printable ASCII without spaces,
     * one {@code @} with text on both sides, a domain that neither starts nor ends with a dot. Anything else could be
     * read differently by the API than by these rules (case folding of non-ASCII, trailing dots, quoted local parts).
     */
    static String plainAddressProblem(String account) {
        if (account.length() > MAX_ACCOUNT_CHARS) {
            return "it is " + account.length() + " characters, more than " + MAX_ACCOUNT_CHARS;
        }
        for (int i = 0; i < account.length(); i++) {
            char c = account.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return "it has a character other than printable ASCII (no space, quote or backslash) at index " + i;
            }
        }
        int at = account.indexOf('@');
        if (at <= 0 || at != account.lastIndexOf('@') || at == account.length() - 1) {
            return "it needs exactly one @ with text on both sides";
        }
        String domain = account.substring(at + 1);
        if (domain.startsWith(".") || domain.endsWith(".") || domain.contains("..")) {
            return "its domain starts or ends with a dot or has an empty label";
        }
        return null;
    }

    boolean isEmpty() {
        return rules.isEmpty();
    }

    String setting() {
        return setting;
    }

    /**
     * The first entry that matches {@code account} (a plain address, see {@link #plainAddressProblem}), or null. A
     * pattern that runs out of budget matches when {@code budgetExhaustedMatches}.
     */
    String match(String account, boolean budgetExhaustedMatches) {
        String lower = account.toLowerCase(Locale.ROOT);
        String domain = lower.substring(lower.indexOf('@') + 1);
        for (Rule rule : rules) {
            switch (rule.kind) {
                case EXACT:
                    if (lower.equals(rule.value)) {
                        return rule.entry;
                    }
                    break;
                case DOMAIN:
                    if (domain.equals(rule.value)) {
                        return rule.entry;
                    }
                    break;
                case SUBDOMAINS:
                    if (domain.endsWith(rule.value)) {
                        return rule.entry;
                    }
                    break;
                default:
                    try {
                        if (rule.pattern
                                .matcher(new BudgetedChars(lower, MATCH_BUDGET))
                                .matches()) {
                            return rule.entry;
                        }
                    } catch (BudgetedChars.Exhausted e) {
                        if (budgetExhaustedMatches) {
                            return rule.entry;
                        }
                    }
                    break;
            }
        }
        return null;
    }

    static String quote(String text) {
        return "'" + LogText.safe(text, 120) + "'";
    }

    private enum Kind {
        EXACT,
        DOMAIN,
        SUBDOMAINS,
        PATTERN
    }

    private record Rule(Kind kind, String entry, String value, Pattern pattern) {}

    /** A string whose characters may be read a bounded number of times, to stop runaway backtracking. */
    private static final class BudgetedChars implements CharSequence {

        /** Thrown when the budget is spent. */
        static final class Exhausted extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Exhausted() {
                super("pattern match budget exhausted", null, false, false);
            }
        }

        private final String text;
        private final int[] left;

        BudgetedChars(String text, int budget) {
            this(text, new int[] {budget});
        }

        private BudgetedChars(String text, int[] left) {
            this.text = text;
            this.left = left;
        }

        @Override
        public char charAt(int index) {
            if (--left[0] < 0) {
                throw new Exhausted();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new BudgetedChars(text.substring(start, end), left);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
