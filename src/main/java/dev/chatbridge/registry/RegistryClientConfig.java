package dev.chatbridge.registry;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.PASSWORD;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.SettingChecks;
import dev.chatbridge.transport.SafeUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.types.Password;

/**
 * The registry client's settings, read from Kafka-style configs with Confluent's key names.
 *
 * <p>Immutable and thread-safe. Every key, default and range is in {@link #DEFINITION}; keys it does not know are
 * ignored (they belong to Kafka). Bad values fail {@link #from(Map)} with an {@link InvalidConfigurationException} that
 * names each key and the fix; neither that message nor {@link #toString()} ever shows a password or token. Credentials
 * given in a URL's userinfo ({@code basic.auth.credentials.source=URL}) are taken out of the URL: the URLs this config
 * exposes carry none.
 */
public final class RegistryClientConfig {

    /** Comma-separated base URLs of the registry, or {@code mock://<scope>}. */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** {@code URL} (default: user:password in the URL's userinfo) or {@code USER_INFO}. */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    /** {@code user:password} for basic auth when the source is {@code USER_INFO}. */
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** {@code STATIC_TOKEN}, the only bearer source supported. */
    public static final String BEARER_AUTH_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";
    /** The static bearer token. */
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    /** Path of the truststore that verifies the registry's TLS certificate. */
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    /** Password of the truststore. */
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    /** Type of the truststore: {@code JKS} (default, as Kafka) or {@code PKCS12}. */
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    /** Bound of each client cache, in entries (default 1000). */
    public static final String MAX_SCHEMAS_PER_SUBJECT = "max.schemas.per.subject";
    /** Connect timeout of one HTTP attempt (default 2000; Confluent's is 60000, far too long for a stream thread). */
    public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    /** Time to wait for one HTTP answer (default 3000; a registry answers from memory in milliseconds). */
    public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
    /**
     * Longest time one client call may take, retries and backoffs included (default 5000): the longest a stream thread
     * waits for the registry, plus at most {@link #LOOKUP_MAX_WAIT} for the lookup rate bound.
     */
    public static final String CALL_TIMEOUT_MS = "schema.registry.call.timeout.ms";
    /** How long an id the registry does not know is remembered as unknown (default 60000; 0 forgets at once). */
    public static final String UNKNOWN_ID_TTL_MS = "schema.registry.unknown.id.ttl.ms";
    /** Most unknown ids remembered, least recently asked out first (default 10000). */
    public static final String UNKNOWN_ID_CACHE_SIZE = "schema.registry.unknown.id.cache.size";
    /** Registry lookups per second for ids not cached, with bursts of as many (default 200). */
    public static final String ID_LOOKUPS_PER_SECOND = "schema.registry.id.lookups.per.second";
    /** First pause after the registry was found unavailable, in which calls fail at once (default 1000). */
    public static final String OUTAGE_BACKOFF_MS = "schema.registry.outage.backoff.ms";
    /** Cap of that pause, which doubles with each failed probe (default 30000). */
    public static final String OUTAGE_BACKOFF_MAX_MS = "schema.registry.outage.backoff.max.ms";
    /**
     * Longest a lookup waits for the rate bound ({@value}ms is one second); a lookup that would wait longer fails at
     * once as unavailable.
     */
    public static final long LOOKUP_MAX_WAIT = 1000;
    /**
     * Whether an {@code http://} registry URL to a host other than loopback is accepted (default false): basic-auth
     * credentials or the bearer token would cross the network in clear, and schemas could be swapped on the way.
     * chat-bridge's own key, passed in by {@code ServiceSettings} from its {@code chat.*} settings.
     */
    public static final String ALLOW_CLEARTEXT = "chat.registry.allow.cleartext";
    /** Retries after the first attempt for unreachable registries and 5xx answers (default 3). */
    public static final String MAX_RETRIES = "max.retries";
    /** First backoff between attempts (default 1000), doubled on each retry. */
    public static final String RETRIES_WAIT_MS = "retries.wait.ms";
    /** Cap of the backoff between attempts (default 20000). */
    public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";

    static final String MOCK_SCHEME = "mock";

    /**
     * The one definition of the registry client's settings (Confluent's key names and, but for the timeouts, its
     * defaults): type, default, range and documentation. {@link #ALLOW_CLEARTEXT} is chat-bridge's own key, which
     * {@code ChatBridgeConfig.DEFINITION} takes from here.
     */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    SCHEMA_REGISTRY_URL,
                    LIST,
                    "",
                    HIGH,
                    "Base URLs of the schema registry, comma-separated, tried in order (http(s)://host:port[/path]); or "
                            + "mock://<scope> for tests. Required by run. Credentials in a URL's userinfo are used "
                            + "when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=URL and never shown.")
            .define(
                    BASIC_AUTH_CREDENTIALS_SOURCE,
                    STRING,
                    "URL",
                    ConfigDef.CaseInsensitiveValidString.in("URL", "USER_INFO"),
                    MEDIUM,
                    "Where basic-auth credentials come from: URL (the userinfo of " + SCHEMA_REGISTRY_URL
                            + ") or USER_INFO (" + BASIC_AUTH_USER_INFO + ").")
            .define(
                    BASIC_AUTH_USER_INFO,
                    PASSWORD,
                    null,
                    MEDIUM,
                    "user:password for basic auth when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO. Never logged.")
            .define(
                    BEARER_AUTH_CREDENTIALS_SOURCE,
                    STRING,
                    null,
                    nullOr(ConfigDef.CaseInsensitiveValidString.in("STATIC_TOKEN")),
                    MEDIUM,
                    "STATIC_TOKEN (with " + BEARER_AUTH_TOKEN + "), the only bearer source supported.")
            .define(
                    BEARER_AUTH_TOKEN,
                    PASSWORD,
                    null,
                    MEDIUM,
                    "Static bearer token for the registry; not together with basic auth. Never logged.")
            .define(
                    SSL_TRUSTSTORE_LOCATION,
                    STRING,
                    null,
                    LOW,
                    "Truststore that verifies the registry's TLS certificate; default: the JDK's.")
            .define(SSL_TRUSTSTORE_PASSWORD, PASSWORD, null, LOW, "Password of the registry truststore.")
            .define(
                    SSL_TRUSTSTORE_TYPE,
                    STRING,
                    "JKS",
                    ConfigDef.CaseInsensitiveValidString.in("JKS", "PKCS12"),
                    LOW,
                    "Type of the registry truststore.")
            .define(
                    MAX_SCHEMAS_PER_SUBJECT,
                    LONG,
                    1_000L,
                    Range.between(1, Integer.MAX_VALUE),
                    LOW,
                    "Bound of each registry client cache, in entries.")
            .define(
                    HTTP_CONNECT_TIMEOUT_MS,
                    LONG,
                    2_000L,
                    Range.between(1, Integer.MAX_VALUE),
                    LOW,
                    "Connect timeout of one registry HTTP attempt (Confluent's default, 60000, is far too long for a "
                            + "stream thread).")
            .define(
                    HTTP_READ_TIMEOUT_MS,
                    LONG,
                    3_000L,
                    Range.between(1, Integer.MAX_VALUE),
                    LOW,
                    "Longest wait for one registry HTTP answer.")
            .define(
                    CALL_TIMEOUT_MS,
                    LONG,
                    5_000L,
                    Range.between(1, Integer.MAX_VALUE),
                    LOW,
                    "Longest time one registry call may take, retries and backoffs included: the longest a stream "
                            + "thread waits for the registry (plus at most one second for the lookup rate bound).")
            .define(
                    UNKNOWN_ID_TTL_MS,
                    LONG,
                    60_000L,
                    Range.between(0, Integer.MAX_VALUE),
                    LOW,
                    "How long a schema id the registry does not know is remembered as unknown; 0 forgets at once.")
            .define(
                    UNKNOWN_ID_CACHE_SIZE,
                    LONG,
                    10_000L,
                    Range.between(1, 10_000_000),
                    LOW,
                    "Unknown schema ids remembered at most, least recently asked out first.")
            .define(
                    ID_LOOKUPS_PER_SECOND,
                    LONG,
                    200L,
                    Range.between(1, 1_000_000),
                    LOW,
                    "Registry lookups per second for ids not cached, with bursts of as many.")
            .define(
                    OUTAGE_BACKOFF_MS,
                    LONG,
                    1_000L,
                    Range.between(0, Integer.MAX_VALUE),
                    LOW,
                    "First pause after the registry was found unavailable, in which registry calls fail at once.")
            .define(
                    OUTAGE_BACKOFF_MAX_MS,
                    LONG,
                    30_000L,
                    Range.between(0, Integer.MAX_VALUE),
                    LOW,
                    "Cap of that pause, which doubles with each failed probe; at least " + OUTAGE_BACKOFF_MS + ".")
            .define(
                    MAX_RETRIES,
                    LONG,
                    3L,
                    Range.between(0, 100),
                    LOW,
                    "Retries after the first attempt for an unreachable registry and 5xx answers.")
            .define(
                    RETRIES_WAIT_MS,
                    LONG,
                    1_000L,
                    Range.between(0, Integer.MAX_VALUE),
                    LOW,
                    "First backoff between registry attempts, doubled on each retry.")
            .define(
                    RETRIES_MAX_WAIT_MS,
                    LONG,
                    20_000L,
                    Range.between(0, Integer.MAX_VALUE),
                    LOW,
                    "Cap of the backoff between registry attempts; at least " + RETRIES_WAIT_MS + ".")
            .define(
                    ALLOW_CLEARTEXT,
                    BOOLEAN,
                    false,
                    MEDIUM,
                    "Whether an http:// " + SCHEMA_REGISTRY_URL + " to a host other than loopback is accepted. Off: "
                            + "refused at start, since registry credentials would cross the network unencrypted "
                            + "and schemas could be altered on the way. Turn on only for a network you trust.");

    private final List<URI> urls;
    private final boolean allowCleartext;
    private final String mockScope;
    private final String basicUserInfo;
    private final String basicSource;
    private final String bearerToken;
    private final Path truststoreLocation;
    private final String truststorePassword;
    private final String truststoreType;
    private final int maxSchemasPerSubject;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxRetries;
    private final Duration retryWait;
    private final Duration retryMaxWait;
    private final Duration callTimeout;
    private final Duration unknownIdTtl;
    private final int unknownIdCacheSize;
    private final int idLookupsPerSecond;
    private final Duration outageBackoff;
    private final Duration outageBackoffMax;

    private RegistryClientConfig(Map<String, Object> v, List<String> problems) {
        List<String> rawUrls = urlList(v, problems);
        this.mockScope = mockScope(rawUrls, problems);
        this.basicSource = ((String) v.get(BASIC_AUTH_CREDENTIALS_SOURCE)).toUpperCase(Locale.ROOT);
        this.allowCleartext = (Boolean) v.get(ALLOW_CLEARTEXT);
        List<URI> parsed = new ArrayList<>();
        String userInfoFromUrl = null;
        if (mockScope == null) {
            for (String raw : rawUrls) {
                URI uri = parseHttpUrl(raw, problems);
                if (uri != null && uri.getRawUserInfo() != null) {
                    userInfoFromUrl = decodeUserInfo(uri.getRawUserInfo());
                    uri = withoutUserInfo(uri, problems);
                }
                if (uri != null && cleartextAllowed(uri, allowCleartext, problems)) {
                    parsed.add(uri);
                }
            }
        }
        this.urls = List.copyOf(parsed);
        this.basicUserInfo = basicUserInfo(v, basicSource, userInfoFromUrl, problems);
        this.bearerToken = bearerToken(v, problems);
        if (basicUserInfo != null && bearerToken != null) {
            problems.add("Both basic auth (" + BASIC_AUTH_CREDENTIALS_SOURCE + "=" + basicSource + ") and bearer auth ("
                    + BEARER_AUTH_TOKEN + ") are configured: keep only one of them");
        }
        this.truststoreLocation = readableFile((String) v.get(SSL_TRUSTSTORE_LOCATION), problems);
        this.truststorePassword = secret(v, SSL_TRUSTSTORE_PASSWORD);
        this.truststoreType = ((String) v.get(SSL_TRUSTSTORE_TYPE)).toUpperCase(Locale.ROOT);
        this.maxSchemasPerSubject = integer(v, MAX_SCHEMAS_PER_SUBJECT);
        this.connectTimeout = millis(v, HTTP_CONNECT_TIMEOUT_MS);
        this.readTimeout = millis(v, HTTP_READ_TIMEOUT_MS);
        this.callTimeout = millis(v, CALL_TIMEOUT_MS);
        this.unknownIdTtl = millis(v, UNKNOWN_ID_TTL_MS);
        this.unknownIdCacheSize = integer(v, UNKNOWN_ID_CACHE_SIZE);
        this.idLookupsPerSecond = integer(v, ID_LOOKUPS_PER_SECOND);
        this.outageBackoff = millis(v, OUTAGE_BACKOFF_MS);
        this.outageBackoffMax = millis(v, OUTAGE_BACKOFF_MAX_MS);
        SettingChecks.notBelow(
                OUTAGE_BACKOFF_MAX_MS,
                outageBackoffMax.toMillis(),
                OUTAGE_BACKOFF_MS,
                outageBackoff.toMillis(),
                problems);
        this.maxRetries = integer(v, MAX_RETRIES);
        this.retryWait = millis(v, RETRIES_WAIT_MS);
        this.retryMaxWait = millis(v, RETRIES_MAX_WAIT_MS);
        SettingChecks.notBelow(
                RETRIES_MAX_WAIT_MS, retryMaxWait.toMillis(), RETRIES_WAIT_MS, retryWait.toMillis(), problems);
    }

    /**
     * Reads the settings ({@link #DEFINITION}; values as strings or typed, unknown keys ignored).
     *
     * @throws InvalidConfigurationException naming the key and the fix of every bad value, one line each, none showing
     *     a secret
     */
    public static RegistryClientConfig from(Map<String, ?> configs) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> values = SettingChecks.parse(DEFINITION, withoutNullValues(configs), problems);
        InvalidConfigurationException.throwIfAny(problems);
        RegistryClientConfig config = new RegistryClientConfig(values, problems);
        InvalidConfigurationException.throwIfAny(problems);
        return config;
    }

    /** The registry base URLs in failover order, without credentials; empty for a mock registry. */
    public List<URI> urls() {
        return urls;
    }

    /** Whether cleartext {@code http://} to a non-loopback registry is accepted. */
    public boolean allowCleartext() {
        return allowCleartext;
    }

    /** The scope of {@code mock://<scope>}, or empty for a real registry. */
    public Optional<String> mockScope() {
        return Optional.ofNullable(mockScope);
    }

    /** Whether requests carry a basic auth header. */
    public boolean hasBasicAuth() {
        return basicUserInfo != null;
    }

    /** Whether requests carry a bearer token. */
    public boolean hasBearerAuth() {
        return bearerToken != null;
    }

    /** The truststore that verifies the registry's certificate; empty means the JDK's default trust. */
    public Optional<Path> truststoreLocation() {
        return Optional.ofNullable(truststoreLocation);
    }

    /** {@code JKS} or {@code PKCS12}. */
    public String truststoreType() {
        return truststoreType;
    }

    /** Bound of each client cache, in entries. */
    public int maxSchemasPerSubject() {
        return maxSchemasPerSubject;
    }

    /** Connect timeout of one attempt. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Answer timeout of one attempt. */
    public Duration readTimeout() {
        return readTimeout;
    }

    /** Retries after the first attempt. */
    public int maxRetries() {
        return maxRetries;
    }

    /** First backoff between attempts. */
    public Duration retryWait() {
        return retryWait;
    }

    /** Cap of the backoff between attempts. */
    public Duration retryMaxWait() {
        return retryMaxWait;
    }

    /** Longest time one call may take, retries and backoffs included. */
    public Duration callTimeout() {
        return callTimeout;
    }

    /** How long an unknown id is remembered as unknown; zero to not remember. */
    public Duration unknownIdTtl() {
        return unknownIdTtl;
    }

    /** Most unknown ids remembered. */
    public int unknownIdCacheSize() {
        return unknownIdCacheSize;
    }

    /** Registry lookups per second for ids not cached. */
    public int idLookupsPerSecond() {
        return idLookupsPerSecond;
    }

    /** First pause in which calls fail at once after the registry was found unavailable. */
    public Duration outageBackoff() {
        return outageBackoff;
    }

    /** Cap of that pause. */
    public Duration outageBackoffMax() {
        return outageBackoffMax;
    }

    /** The {@code Authorization} header value, if any. Holds a secret: never log it. */
    Optional<String> authorizationHeader() {
        if (basicUserInfo != null) {
            return Optional.of(
                    "Basic " + Base64.getEncoder().encodeToString(basicUserInfo.getBytes(StandardCharsets.UTF_8)));
        }
        return Optional.ofNullable(bearerToken).map(token -> "Bearer " + token);
    }

    /** The truststore password, or null. A secret: never log it. */
    char[] truststorePassword() {
        return truststorePassword == null ? null : truststorePassword.toCharArray();
    }

    @Override
    public String toString() {
        String auth = basicUserInfo != null
                ? "basic(source=" + basicSource + ", credentials=[hidden])"
                : bearerToken != null ? "bearer(token=[hidden])" : "none";
        return "RegistryClientConfig{"
                + (mockScope != null ? "mockScope=" + mockScope : "urls=" + SafeUrls.scrub(urls.toString()))
                + (allowCleartext ? ", allowCleartext=true" : "")
                + ", auth=" + auth
                + ", truststore="
                + (truststoreLocation == null
                        ? "default"
                        : truststoreLocation + " (" + truststoreType + ", password="
                                + (truststorePassword == null ? "none" : "[hidden]") + ")")
                + ", maxSchemasPerSubject=" + maxSchemasPerSubject
                + ", connectTimeout=" + connectTimeout.toMillis() + "ms"
                + ", readTimeout=" + readTimeout.toMillis() + "ms"
                + ", maxRetries=" + maxRetries
                + ", retryWait=" + retryWait.toMillis() + "ms"
                + ", retryMaxWait=" + retryMaxWait.toMillis() + "ms"
                + ", callTimeout=" + callTimeout.toMillis() + "ms"
                + ", unknownIdTtl=" + unknownIdTtl.toMillis() + "ms"
                + ", unknownIdCacheSize=" + unknownIdCacheSize
                + ", idLookupsPerSecond=" + idLookupsPerSecond
                + ", outageBackoff=" + outageBackoff.toMillis() + "ms"
                + ", outageBackoffMax=" + outageBackoffMax.toMillis() + "ms}";
    }

    private static Map<String, ?> withoutNullValues(Map<String, ?> configs) {
        Map<String, Object> copy = new HashMap<>();
        configs.forEach((key, value) -> {
            if (key != null && value != null) {
                copy.put(key, value);
            }
        });
        return copy;
    }

    /** A validator that also accepts null (an unset setting without default). */
    private static ConfigDef.Validator nullOr(ConfigDef.Validator validator) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value != null) {
                    validator.ensureValid(name, value);
                }
            }

            @Override
            public String toString() {
                return validator.toString();
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static List<String> urlList(Map<String, Object> values, List<String> problems) {
        List<String> urls = new ArrayList<>();
        for (Object part : (List<Object>) values.get(SCHEMA_REGISTRY_URL)) {
            String text = String.valueOf(part);
            if (!text.isBlank()) {
                urls.add(text.trim());
            }
        }
        if (urls.isEmpty()) {
            problems.add(SCHEMA_REGISTRY_URL + " is missing: set it to the registry's base URL, "
                    + "for example http://localhost:8081 (several separated by commas), or mock://<scope> for tests");
        }
        return urls;
    }

    private static String mockScope(List<String> urls, List<String> problems) {
        long mocks = urls.stream()
                .filter(u -> u.toLowerCase(Locale.ROOT).startsWith(MOCK_SCHEME + "://"))
                .count();
        if (mocks == 0) {
            return null;
        }
        if (urls.size() > 1) {
            problems.add(SCHEMA_REGISTRY_URL + " mixes a mock:// URL with other URLs: "
                    + "give exactly one mock://<scope>, or only http(s) URLs");
            return "";
        }
        String scope = urls.get(0).substring((MOCK_SCHEME + "://").length());
        if (scope.isBlank()) {
            problems.add(SCHEMA_REGISTRY_URL + "=mock:// has no scope: use mock://<scope>, for example mock://tests");
        }
        return scope;
    }

    private static URI parseHttpUrl(String raw, List<String> problems) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            problems.add(SCHEMA_REGISTRY_URL + " has an entry that is not a URL: " + SafeUrls.shown(raw) + " ("
                    + e.getReason() + "): use http(s)://host:port");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            problems.add(SCHEMA_REGISTRY_URL + " entry " + SafeUrls.shown(raw)
                    + " is not an http(s) URL with a host: use http(s)://host:port or mock://<scope>");
            return null;
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.add(SCHEMA_REGISTRY_URL + " entry " + SafeUrls.shown(raw) + " has a query or a fragment,"
                    + " but request paths are appended to the base URL: give http(s)://host:port[/path] only, and "
                    + "credentials in " + BASIC_AUTH_USER_INFO + " or " + BEARER_AUTH_TOKEN);
            return null;
        }
        return uri;
    }

    /** Refuses cleartext to a registry that is not on loopback unless {@link #ALLOW_CLEARTEXT} is set. */
    private static boolean cleartextAllowed(URI uri, boolean allowed, List<String> problems) {
        if (allowed || !"http".equalsIgnoreCase(uri.getScheme()) || SafeUrls.isLoopbackHost(uri.getHost())) {
            return true;
        }
        problems.add(SCHEMA_REGISTRY_URL + " entry " + SafeUrls.shown(uri.toString())
                + " is cleartext http to " + uri.getHost()
                + ", which is not loopback (localhost, 127.0.0.0/8, ::1): registry credentials would "
                + "cross the network unencrypted and schemas could be altered on the way. Use https://, or, only on a "
                + "network you trust, allow it with " + ALLOW_CLEARTEXT
                + "=true (CHAT_BRIDGE_REGISTRY_ALLOW_CLEARTEXT)");
        return false;
    }

    private static URI withoutUserInfo(URI uri, List<String> problems) {
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            problems.add(SCHEMA_REGISTRY_URL
                    + " has an entry that cannot be rebuilt without its userinfo: " + uri.getScheme() + "://"
                    + SafeUrls.REDACTED + "@" + uri.getHost() + ": check the URL's syntax");
            return null;
        }
    }

    private static String decodeUserInfo(String rawUserInfo) {
        return URLDecoder.decode(rawUserInfo.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String basicUserInfo(
            Map<String, Object> values, String source, String userInfoFromUrl, List<String> problems) {
        if (!"USER_INFO".equals(source)) {
            return userInfoFromUrl;
        }
        String info = secret(values, BASIC_AUTH_USER_INFO);
        if (info == null || info.isBlank() || !info.contains(":")) {
            problems.add(BASIC_AUTH_USER_INFO + " must be user:password when " + BASIC_AUTH_CREDENTIALS_SOURCE
                    + "=USER_INFO: set it, or set the source to URL");
            return null;
        }
        return info;
    }

    private static String bearerToken(Map<String, Object> values, List<String> problems) {
        String source = (String) values.get(BEARER_AUTH_CREDENTIALS_SOURCE);
        String token = secret(values, BEARER_AUTH_TOKEN);
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (source == null && token == null) {
            return null;
        }
        if (token == null) {
            problems.add(BEARER_AUTH_TOKEN + " is missing while " + BEARER_AUTH_CREDENTIALS_SOURCE
                    + "=STATIC_TOKEN: set the token, or remove the source");
        }
        return token;
    }

    private static Path readableFile(String location, List<String> problems) {
        if (location == null || location.isBlank()) {
            return null;
        }
        Path path = Path.of(location.trim());
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            problems.add(SSL_TRUSTSTORE_LOCATION + "=" + location
                    + " is not a readable file: give the path of a JKS or PKCS12 truststore");
            return null;
        }
        return path;
    }

    private static String secret(Map<String, Object> values, String key) {
        Password password = (Password) values.get(key);
        return password == null ? null : password.value();
    }

    private static int integer(Map<String, Object> values, String key) {
        return Math.toIntExact((Long) values.get(key));
    }

    private static Duration millis(Map<String, Object> values, String key) {
        return Duration.ofMillis((Long) values.get(key));
    }
}
