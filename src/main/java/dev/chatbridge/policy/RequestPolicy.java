package dev.chatbridge.policy;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;

/**
 * Who an upstream may make chat-bridge act as, and with what: the rules of the {@code chat.policy.*} settings
 * ({@link PolicyConfigDef}), applied at intake, before any API call. The service's API key may impersonate any user, so
 * anyone who can write to the requests topic could otherwise act as anyone; a request this policy denies becomes an
 * {@code IMPERSONATION_DENIED} dead letter carrying {@link #denial}'s message.
 *
 * <p>Two steps, because the record's headers are at hand only when it is read: {@link #identify} checks the
 * on-behalf-of token in the headers (token mode only) and returns a {@link ProducerIdentity} the engine may store;
 * {@link #denial} later judges the decoded request with that identity. Neither throws for bad input. Everything that
 * can be wrong with the settings (bad patterns, unreadable or unsuitable key files, missing audience) is found by
 * {@link #fromProperties} at start. Immutable and thread-safe; no network I/O.
 *
 * <p>Rules, in the order {@link #denial} applies them: the token (valid, and its {@code sub} equal to the request's
 * {@code account}, case-insensitive; no {@code sub} for no account); the account (a plain ASCII address; the deny list
 * wins; then the allow list, which denies everything it does not list; no account follows
 * {@link PolicyConfigDef#NO_ACCOUNT}); the assistant; the roles.
 */
public final class RequestPolicy {

    private static final RequestPolicy PERMIT_ALL = fromProperties(Map.of());

    private final AccountRules allowed;
    private final AccountRules denied;
    private final boolean noAccountAllowed;
    private final Set<String> assistants;
    private final boolean defaultAssistantAllowed;
    private final Set<MessageRole> roles;
    private final TokenVerifier tokens;

    private RequestPolicy(
            AccountRules allowed,
            AccountRules denied,
            boolean noAccountAllowed,
            Set<String> assistants,
            boolean defaultAssistantAllowed,
            Set<MessageRole> roles,
            TokenVerifier tokens) {
        this.allowed = allowed;
        this.denied = denied;
        this.noAccountAllowed = noAccountAllowed;
        this.assistants = assistants;
        this.defaultAssistantAllowed = defaultAssistantAllowed;
        this.roles = roles;
        this.tokens = tokens;
    }

    /** The policy of no {@code chat.policy.*} setting: every request allowed, no token looked at. */
    public static RequestPolicy permitAll() {
        return PERMIT_ALL;
    }

    /**
     * The policy of the given settings: parsed {@code chat.policy.*} values as {@code ChatBridgeConfig.values()} holds
     * them (or raw strings; absent keys take their defaults). Reads the keys file when the token mode is on.
     *
     * @throws InvalidPolicyException listing one line per problem, each naming its setting
     */
    public static RequestPolicy fromProperties(Map<String, ?> values) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> parsed = parse(values, problems);
        if (!problems.isEmpty()) {
            throw new InvalidPolicyException(problems);
        }
        AccountRules allowed = AccountRules.parse(
                PolicyConfigDef.ACCOUNTS_ALLOWED, list(parsed, PolicyConfigDef.ACCOUNTS_ALLOWED), problems);
        AccountRules denied = AccountRules.parse(
                PolicyConfigDef.ACCOUNTS_DENIED, list(parsed, PolicyConfigDef.ACCOUNTS_DENIED), problems);
        Set<String> assistants = new LinkedHashSet<>();
        for (String id : list(parsed, PolicyConfigDef.ASSISTANTS_ALLOWED)) {
            if (id.isBlank()) {
                problems.add(PolicyConfigDef.ASSISTANTS_ALLOWED + " has an empty entry: remove the stray comma");
            }
            assistants.add(id.trim());
        }
        boolean defaultAssistant = assistants.remove(PolicyConfigDef.DEFAULT_ASSISTANT);
        Set<MessageRole> roles = EnumSet.noneOf(MessageRole.class);
        for (String role : list(parsed, PolicyConfigDef.ROLES_ALLOWED)) {
            try {
                roles.add(MessageRole.valueOf(role.trim()));
            } catch (IllegalArgumentException e) {
                problems.add(PolicyConfigDef.ROLES_ALLOWED + " entry '" + LogText.safe(role, 40) + "' is not a "
                        + "role: use User, System and/or Assistant");
            }
        }
        if (roles.isEmpty() && problems.isEmpty()) {
            problems.add(PolicyConfigDef.ROLES_ALLOWED + " is empty: list at least User");
        }
        boolean tokenRequired = Boolean.TRUE.equals(parsed.get(PolicyConfigDef.TOKEN_REQUIRED));
        TokenVerifier tokens = tokenRequired ? tokens(parsed, problems) : null;
        String noAccount =
                ((String) parsed.get(PolicyConfigDef.NO_ACCOUNT)).trim().toUpperCase(Locale.ROOT);
        boolean noAccountAllowed = "DEFAULT".equals(noAccount)
                ? allowed.isEmpty() && denied.isEmpty() && !tokenRequired
                : "ALLOW".equals(noAccount);
        if (!problems.isEmpty()) {
            throw new InvalidPolicyException(problems);
        }
        return new RequestPolicy(
                allowed, denied, noAccountAllowed, Set.copyOf(assistants), defaultAssistant, roles, tokens);
    }

    private static Map<String, Object> parse(Map<String, ?> values, List<String> problems) {
        ConfigDef def = PolicyConfigDef.addTo(new ConfigDef());
        Map<String, Object> parsed = new HashMap<>();
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            Object raw = values.get(key.name);
            try {
                Object value = raw == null ? key.defaultValue : ConfigDef.parseType(key.name, raw, key.type);
                if (key.validator != null && raw != null) {
                    key.validator.ensureValid(key.name, value);
                }
                parsed.put(key.name, value);
            } catch (ConfigException e) {
                problems.add(e.getMessage());
            }
        }
        return parsed;
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Map<String, Object> parsed, String key) {
        Object value = parsed.get(key);
        return value == null ? List.of() : (List<String>) value;
    }

    private static TokenVerifier tokens(Map<String, Object> parsed, List<String> problems) {
        String file = (String) parsed.get(PolicyConfigDef.TOKEN_KEYS_FILE);
        String audience = (String) parsed.get(PolicyConfigDef.TOKEN_AUDIENCE);
        String header = ((String) parsed.get(PolicyConfigDef.TOKEN_HEADER)).trim();
        int before = problems.size();
        if (file == null || file.isBlank()) {
            problems.add(PolicyConfigDef.TOKEN_KEYS_FILE + " is not set but " + PolicyConfigDef.TOKEN_REQUIRED
                    + " is true: name the file with the token issuers' public keys (JWK Set or PEM)");
        }
        if (audience == null || audience.isBlank()) {
            problems.add(PolicyConfigDef.TOKEN_AUDIENCE + " is not set but " + PolicyConfigDef.TOKEN_REQUIRED
                    + " is true: name the audience tokens must be minted for (for example chat-bridge-prod), so a "
                    + "token meant for another service is refused");
        }
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                problems.add(PolicyConfigDef.TOKEN_HEADER + " must be printable ASCII without spaces");
                break;
            }
        }
        if (problems.size() > before) {
            return null;
        }
        var keys = TokenKeys.load(PolicyConfigDef.TOKEN_KEYS_FILE, Path.of(file.trim()), problems);
        if (keys == null) {
            return null;
        }
        Set<String> issuers = new LinkedHashSet<>();
        for (String iss : list(parsed, PolicyConfigDef.TOKEN_ISSUERS)) {
            issuers.add(iss.trim());
        }
        return new TokenVerifier(
                header,
                keys,
                audience.trim(),
                issuers,
                Duration.ofMillis((Long) parsed.get(PolicyConfigDef.TOKEN_CLOCK_SKEW)),
                Duration.ofMillis((Long) parsed.get(PolicyConfigDef.TOKEN_MAX_LIFETIME)));
    }

    /** Whether every request needs a valid on-behalf-of token ({@link PolicyConfigDef#TOKEN_REQUIRED}). */
    public boolean tokensRequired() {
        return tokens != null;
    }

    /** The record header that carries the token; null when tokens are not required. */
    public String tokenHeader() {
        return tokens == null ? null : tokens.header();
    }

    /** Whether this policy allows everything (nothing configured); the engine may skip it. */
    public boolean permitsAll() {
        return tokens == null
                && allowed.isEmpty()
                && denied.isEmpty()
                && noAccountAllowed
                && assistants.isEmpty()
                && !defaultAssistantAllowed
                && roles.size() == MessageRole.values().length;
    }

    /**
     * Checks the on-behalf-of token in a record's headers, at {@code now}. {@link ProducerIdentity#NONE} when tokens
     * are not required (the headers are not read). Never throws; a missing or invalid token is an identity whose
     * problem says why, without the token.
     */
    public ProducerIdentity identify(Headers headers, Instant now) {
        if (tokens == null) {
            return ProducerIdentity.NONE;
        }
        return tokens.identify(headers, now == null ? Instant.now() : now);
    }

    /**
     * Null when {@code request} is allowed; else why it is denied: a message naming the rule and what to change, for an
     * {@code IMPERSONATION_DENIED} dead letter. {@code identity} is what {@link #identify} returned for the request's
     * record (null counts as no token). Never throws.
     */
    public String denial(ChatRequest request, ProducerIdentity identity) {
        if (request == null) {
            return "no request to judge";
        }
        try {
            String account = request.getAccount();
            String problem = tokenDenial(account, identity);
            if (problem == null) {
                problem = accountDenial(account);
            }
            if (problem == null) {
                problem = assistantDenial(request.getAssistantId());
            }
            return problem == null ? roleDenial(request.getMessages()) : problem;
        } catch (RuntimeException e) {
            return "the request could not be checked against the policy ("
                    + e.getClass().getSimpleName() + ")";
        }
    }

    private String tokenDenial(String account, ProducerIdentity identity) {
        if (tokens == null) {
            return null;
        }
        if (identity == null || !identity.verified()) {
            String why = identity == null || identity.problem() == null
                    ? "the record's token was not checked"
                    : identity.problem();
            return "on-behalf-of token refused (" + PolicyConfigDef.TOKEN_REQUIRED + "=true): " + why;
        }
        String sub = identity.subject();
        boolean same = sub == null ? account == null : account != null && asciiEqualsIgnoreCase(sub, account);
        if (!same) {
            return "the on-behalf-of token is for "
                    + (sub == null ? "the service's own user (no sub)" : "sub '" + LogText.safe(sub, 120) + "'")
                    + " but the request acts as "
                    + (account == null
                            ? "the service's own user (no account)"
                            : "account " + AccountRules.quote(account))
                    + ": the token's sub must equal the request's account; send a token issued for it";
        }
        return null;
    }

    /** Case-insensitive for ASCII letters only: Unicode case folding would equate look-alikes ("admın", "ADMIN"). */
    private static boolean asciiEqualsIgnoreCase(String a, String b) {
        if (a.length() != b.length()) {
            return false;
        }
        for (int i = 0; i < a.length(); i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y && (x > 0x7f || y > 0x7f || Character.toLowerCase(x) != Character.toLowerCase(y))) {
                return false;
            }
        }
        return true;
    }

    private String accountDenial(String account) {
        if (account == null) {
            return noAccountAllowed
                    ? null
                    : "the request has no account, so it would call as the API key's own user, which "
                            + PolicyConfigDef.NO_ACCOUNT + " does not allow here (its DEFAULT denies it when account "
                            + "rules or tokens are configured): set the request's account, or set "
                            + PolicyConfigDef.NO_ACCOUNT + "=ALLOW";
        }
        if (allowed.isEmpty() && denied.isEmpty() && tokens == null) {
            return null;
        }
        String shape = AccountRules.plainAddressProblem(account);
        if (shape != null) {
            return "account " + AccountRules.quote(account) + " is not a plain address the account rules can judge ("
                    + shape + "); send a plain address such as name@example.com";
        }
        String deniedBy = denied.match(account, true);
        if (deniedBy != null) {
            return "account " + AccountRules.quote(account) + " matches " + PolicyConfigDef.ACCOUNTS_DENIED
                    + " entry " + AccountRules.quote(deniedBy) + " and may never be impersonated (the deny list wins "
                    + "over " + PolicyConfigDef.ACCOUNTS_ALLOWED + "); remove the entry only if that is intended";
        }
        if (!allowed.isEmpty() && allowed.match(account, false) == null) {
            return "account " + AccountRules.quote(account) + " is not allowed: no entry of "
                    + PolicyConfigDef.ACCOUNTS_ALLOWED + " matches it (an allow list denies every account it does "
                    + "not list); add the address or its domain there if this producer may act as it";
        }
        return null;
    }

    private String assistantDenial(String assistantId) {
        if (assistants.isEmpty() && !defaultAssistantAllowed) {
            return null;
        }
        if (assistantId == null) {
            return defaultAssistantAllowed
                    ? null
                    : "the request names no assistantId (the API's default assistant), which "
                            + PolicyConfigDef.ASSISTANTS_ALLOWED + " does not allow: name an allowed assistant, or "
                            + "add " + PolicyConfigDef.DEFAULT_ASSISTANT + " to " + PolicyConfigDef.ASSISTANTS_ALLOWED;
        }
        return assistants.contains(assistantId)
                ? null
                : "assistantId '" + LogText.safe(assistantId, 120) + "' is not in " + PolicyConfigDef.ASSISTANTS_ALLOWED
                        + ": ask for an allowed assistant, or add it there";
    }

    private String roleDenial(List<ChatMessage> messages) {
        if (roles.size() == MessageRole.values().length || messages == null) {
            return null;
        }
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            MessageRole role = m == null ? null : m.getRole();
            if (role == null || !roles.contains(role)) {
                return "messages[" + i + "] has role " + (role == null ? "(none)" : role.name()) + ", which "
                        + PolicyConfigDef.ROLES_ALLOWED + "=" + roleNames() + " does not allow: leave such "
                        + "messages out, or add the role there";
            }
        }
        return null;
    }

    private String roleNames() {
        List<String> names = new ArrayList<>();
        for (MessageRole role : roles) {
            names.add(role.name());
        }
        return String.join(",", names);
    }

    /** A one-line summary for the startup log: counts and modes, no key material, no addresses. */
    public String describe() {
        if (permitsAll()) {
            return "request policy: none (every account, assistant and role allowed; no tokens)";
        }
        return "request policy: accounts allowed " + (allowed.isEmpty() ? "any" : "by rules") + ", denied "
                + (denied.isEmpty() ? "none" : "by rules") + ", no account " + (noAccountAllowed ? "allowed" : "denied")
                + ", assistants " + (assistants.isEmpty() && !defaultAssistantAllowed ? "any" : "listed")
                + ", roles " + roleNames() + ", tokens "
                + (tokens == null ? "off" : "required in header " + tokens.header());
    }
}
