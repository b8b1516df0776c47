package dev.chatbridge.policy;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * The request policy's part of chat-bridge's one configuration definition: every {@code chat.policy.*} setting (who may
 * be impersonated, which assistants and message roles an upstream may use, and the on-behalf-of token mode).
 * {@code dev.chatbridge.config.ChatBridgeConfig} chains it into its {@code DEFINITION} the same way as the engine's;
 * {@link RequestPolicy#from} reads and checks the values. With nothing set, everything is allowed (the behaviour before
 * the policy existed).
 */
public final class PolicyConfigDef {

    /** Accounts that may be impersonated; empty allows every account. */
    public static final String ACCOUNTS_ALLOWED = "chat.policy.accounts.allowed";
    /** Accounts that may never be impersonated; wins over the allow list. */
    public static final String ACCOUNTS_DENIED = "chat.policy.accounts.denied";
    /** What a request without account (the API key's own user) gets: DEFAULT, ALLOW or DENY. */
    public static final String NO_ACCOUNT = "chat.policy.no.account";
    /** Assistant ids a request may name; empty allows any. */
    public static final String ASSISTANTS_ALLOWED = "chat.policy.assistants.allowed";
    /** Message roles a request may carry. */
    public static final String ROLES_ALLOWED = "chat.policy.roles.allowed";
    /** Whether every request needs a valid on-behalf-of token. */
    public static final String TOKEN_REQUIRED = "chat.policy.token.required";
    /** Kafka record header carrying the token. */
    public static final String TOKEN_HEADER = "chat.policy.token.header";
    /** File with the issuers' public keys (JWK Set JSON or PEM). */
    public static final String TOKEN_KEYS_FILE = "chat.policy.token.keys.file";
    /** Audience a token must name. */
    public static final String TOKEN_AUDIENCE = "chat.policy.token.audience";
    /** Issuers a token may name; empty accepts any issuer whose key is in the keys file. */
    public static final String TOKEN_ISSUERS = "chat.policy.token.issuers";
    /** Clock skew tolerated on exp, nbf and iat. */
    public static final String TOKEN_CLOCK_SKEW = "chat.policy.token.clock.skew.ms";
    /** Longest time to expiry a token may have when it is read. */
    public static final String TOKEN_MAX_LIFETIME = "chat.policy.token.max.lifetime.ms";

    /** Entry of {@link #ASSISTANTS_ALLOWED} that stands for "no assistantId" (the API's default assistant). */
    public static final String DEFAULT_ASSISTANT = "(default)";
    /** Prefix of a pattern entry in the account lists. */
    public static final String REGEX_PREFIX = "regex:";
    /** Default header name of the on-behalf-of token. */
    public static final String DEFAULT_TOKEN_HEADER = "chat-bridge-obo";

    private PolicyConfigDef() {}

    /** Adds the {@code chat.policy.*} settings to {@code definition} and returns it, for chaining. */
    public static ConfigDef addTo(ConfigDef definition) {
        String entries = " Entries: an address (alice@example.com, case-insensitive), a domain (@example.com: that "
                + "domain only), its sub-domains (@*.example.com: any depth, not example.com itself), or a pattern ("
                + REGEX_PREFIX + "<Java regex>, case-insensitive, must match the whole address, no commas).";
        return definition
                .define(
                        ACCOUNTS_ALLOWED,
                        LIST,
                        "",
                        ConfigDef.ValidList.anyNonDuplicateValues(true, false),
                        HIGH,
                        "Accounts a request may impersonate (unleash-account header). Empty: every account. Set: "
                                + "every other account is denied (IMPERSONATION_DENIED)." + entries)
                .define(
                        ACCOUNTS_DENIED,
                        LIST,
                        "",
                        ConfigDef.ValidList.anyNonDuplicateValues(true, false),
                        HIGH,
                        "Accounts a request may never impersonate, such as service and admin accounts; wins over "
                                + ACCOUNTS_ALLOWED + "." + entries)
                .define(
                        NO_ACCOUNT,
                        STRING,
                        "DEFAULT",
                        ConfigDef.CaseInsensitiveValidString.in("DEFAULT", "ALLOW", "DENY"),
                        HIGH,
                        "What a request without account gets; it calls as the API key's own user, which may be "
                                + "more powerful than any user. DEFAULT: DENY when " + ACCOUNTS_ALLOWED + " or "
                                + ACCOUNTS_DENIED + " is set or " + TOKEN_REQUIRED + " is true, else ALLOW.")
                .define(
                        ASSISTANTS_ALLOWED,
                        LIST,
                        "",
                        ConfigDef.ValidList.anyNonDuplicateValues(true, false),
                        MEDIUM,
                        "Assistant ids a request may name (exact, case-sensitive). Empty: any. When set, "
                                + DEFAULT_ASSISTANT + " allows requests without assistantId (the API's default "
                                + "assistant); without it they are denied.")
                .define(
                        ROLES_ALLOWED,
                        LIST,
                        "User,System,Assistant",
                        ConfigDef.ValidList.in(false, "User", "System", "Assistant"),
                        MEDIUM,
                        "Message roles a request may carry; drop System to keep upstreams from sending system "
                                + "prompts. A request with any other role is denied.")
                .define(
                        TOKEN_REQUIRED,
                        BOOLEAN,
                        false,
                        HIGH,
                        "Whether every request must carry a valid on-behalf-of token (a compact JWS, header "
                                + TOKEN_HEADER + ") whose sub is the request's account; needs "
                                + TOKEN_KEYS_FILE + " and " + TOKEN_AUDIENCE + ". See docs/security.md.")
                .define(
                        TOKEN_HEADER,
                        STRING,
                        DEFAULT_TOKEN_HEADER,
                        new ConfigDef.NonEmptyString(),
                        MEDIUM,
                        "Kafka record header that carries the on-behalf-of token.")
                .define(
                        TOKEN_KEYS_FILE,
                        STRING,
                        null,
                        HIGH,
                        "File with the token issuers' public keys: a JWK Set (JSON) or PEM blocks (PUBLIC KEY or "
                                + "CERTIFICATE); RSA (2048 bits or more) and EC P-256/384/521 only, no private or "
                                + "symmetric keys. Read once at start; no network access.")
                .define(
                        TOKEN_AUDIENCE,
                        STRING,
                        null,
                        HIGH,
                        "Audience (aud) every token must name, for example chat-bridge-prod; required when "
                                + TOKEN_REQUIRED + " is true.")
                .define(
                        TOKEN_ISSUERS,
                        LIST,
                        "",
                        ConfigDef.ValidList.anyNonDuplicateValues(true, false),
                        MEDIUM,
                        "Issuers (iss) a token may name. Empty: any issuer whose key is in " + TOKEN_KEYS_FILE + ".")
                .define(
                        TOKEN_CLOCK_SKEW,
                        LONG,
                        60_000L,
                        Range.between(0, 300_000),
                        LOW,
                        "Clock difference tolerated when checking a token's exp, nbf and iat.")
                .define(
                        TOKEN_MAX_LIFETIME,
                        LONG,
                        3_600_000L,
                        Range.between(1_000, 86_400_000),
                        MEDIUM,
                        "Longest time to expiry a token may have when it is read; a token valid for longer is "
                                + "refused, which bounds how long a leaked token can be replayed.");
    }
}
