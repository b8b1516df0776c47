package dev.chatbridge.registry;

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
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The registry client's settings, read from Kafka-style configs with Confluent's key names.
 *
 * <p>Immutable and thread-safe. Keys it does not know are ignored (they belong to Kafka). A bad value fails
 * {@link #from(Map)} with a {@link ConfigException} that names the key and the fix; neither that message nor
 * {@link #toString()} ever shows a password or token. Credentials given in a URL's userinfo
 * ({@code basic.auth.credentials.source=URL}) are taken out of the URL: the URLs this config exposes carry none.
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

    private RegistryClientConfig(Map<String, ?> configs) {
        List<String> rawUrls = urlList(configs);
        this.mockScope = mockScope(rawUrls);
        this.basicSource = string(configs, BASIC_AUTH_CREDENTIALS_SOURCE)
                .orElse("URL")
                .trim()
                .toUpperCase(Locale.ROOT);
        List<URI> parsed = new ArrayList<>();
        String userInfoFromUrl = null;
        if (mockScope == null) {
            for (String raw : rawUrls) {
                URI uri = parseHttpUrl(raw);
                if (uri.getRawUserInfo() != null) {
                    userInfoFromUrl = decodeUserInfo(uri.getRawUserInfo());
                    uri = withoutUserInfo(uri);
                }
                parsed.add(uri);
            }
        }
        this.urls = List.copyOf(parsed);
        this.allowCleartext = booleanValue(configs, ALLOW_CLEARTEXT, false);
        urls.forEach(this::requireCleartextAllowed);
        this.basicUserInfo = basicUserInfo(configs, userInfoFromUrl);
        this.bearerToken = bearerToken(configs);
        if (basicUserInfo != null && bearerToken != null) {
            throw new ConfigException("Both basic auth (" + BASIC_AUTH_CREDENTIALS_SOURCE + "=" + basicSource
                    + ") and bearer auth (" + BEARER_AUTH_TOKEN + ") are configured: keep only one of them");
        }
        this.truststoreLocation = string(configs, SSL_TRUSTSTORE_LOCATION)
                .filter(s -> !s.isBlank())
                .map(RegistryClientConfig::readableFile)
                .orElse(null);
        this.truststorePassword = string(configs, SSL_TRUSTSTORE_PASSWORD).orElse(null);
        this.truststoreType = truststoreType(configs);
        this.maxSchemasPerSubject = (int) longValue(configs, MAX_SCHEMAS_PER_SUBJECT, 1000, 1, Integer.MAX_VALUE);
        this.connectTimeout =
                Duration.ofMillis(longValue(configs, HTTP_CONNECT_TIMEOUT_MS, 2_000, 1, Integer.MAX_VALUE));
        this.readTimeout = Duration.ofMillis(longValue(configs, HTTP_READ_TIMEOUT_MS, 3_000, 1, Integer.MAX_VALUE));
        this.callTimeout = Duration.ofMillis(longValue(configs, CALL_TIMEOUT_MS, 5_000, 1, Integer.MAX_VALUE));
        this.unknownIdTtl = Duration.ofMillis(longValue(configs, UNKNOWN_ID_TTL_MS, 60_000, 0, Integer.MAX_VALUE));
        this.unknownIdCacheSize = (int) longValue(configs, UNKNOWN_ID_CACHE_SIZE, 10_000, 1, 10_000_000);
        this.idLookupsPerSecond = (int) longValue(configs, ID_LOOKUPS_PER_SECOND, 200, 1, 1_000_000);
        this.outageBackoff = Duration.ofMillis(longValue(configs, OUTAGE_BACKOFF_MS, 1_000, 0, Integer.MAX_VALUE));
        this.outageBackoffMax =
                Duration.ofMillis(longValue(configs, OUTAGE_BACKOFF_MAX_MS, 30_000, 0, Integer.MAX_VALUE));
        requireNotBelow(OUTAGE_BACKOFF_MAX_MS, outageBackoffMax, OUTAGE_BACKOFF_MS, outageBackoff);
        this.maxRetries = (int) longValue(configs, MAX_RETRIES, 3, 0, 100);
        this.retryWait = Duration.ofMillis(longValue(configs, RETRIES_WAIT_MS, 1000, 0, Integer.MAX_VALUE));
        this.retryMaxWait = Duration.ofMillis(longValue(configs, RETRIES_MAX_WAIT_MS, 20_000, 0, Integer.MAX_VALUE));
        requireNotBelow(RETRIES_MAX_WAIT_MS, retryMaxWait, RETRIES_WAIT_MS, retryWait);
    }

    /** A cap must not be below the value it caps. */
    private static void requireNotBelow(String capKey, Duration cap, String key, Duration value) {
        if (cap.compareTo(value) < 0) {
            throw new ConfigException(capKey + " (" + cap.toMillis() + ") is below " + key + " (" + value.toMillis()
                    + "): raise " + capKey + " or lower " + key);
        }
    }

    /** Reads the settings; throws {@link ConfigException} naming the key and the fix when one is bad. */
    public static RegistryClientConfig from(Map<String, ?> configs) {
        return new RegistryClientConfig(Map.copyOf(withoutNullValues(configs)));
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

    private static List<String> urlList(Map<String, ?> configs) {
        Object value = configs.get(SCHEMA_REGISTRY_URL);
        String joined = value instanceof Collection<?> list
                ? String.join(",", list.stream().map(String::valueOf).toList())
                : value == null ? "" : String.valueOf(value);
        List<String> urls = new ArrayList<>();
        for (String part : joined.split(",")) {
            if (!part.isBlank()) {
                urls.add(part.trim());
            }
        }
        if (urls.isEmpty()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " is missing: set it to the registry's base URL, "
                    + "for example http://localhost:8081 (several separated by commas), or mock://<scope> for tests");
        }
        return urls;
    }

    private static String mockScope(List<String> urls) {
        long mocks = urls.stream()
                .filter(u -> u.toLowerCase(Locale.ROOT).startsWith(MOCK_SCHEME + "://"))
                .count();
        if (mocks == 0) {
            return null;
        }
        if (urls.size() > 1) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " mixes a mock:// URL with other URLs: "
                    + "give exactly one mock://<scope>, or only http(s) URLs");
        }
        String scope = urls.get(0).substring((MOCK_SCHEME + "://").length());
        if (scope.isBlank()) {
            throw new ConfigException(
                    SCHEMA_REGISTRY_URL + "=mock:// has no scope: use mock://<scope>, for example mock://tests");
        }
        return scope;
    }

    private static URI parseHttpUrl(String raw) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " has an entry that is not a URL: " + describeUrl(raw)
                    + " (" + e.getReason() + "): use http(s)://host:port");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " entry " + describeUrl(raw)
                    + " is not an http(s) URL with a host: use http(s)://host:port or mock://<scope>");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " entry " + describeUrl(raw) + " has a query or a fragment,"
                    + " but request paths are appended to the base URL: give http(s)://host:port[/path] only, and "
                    + "credentials in " + BASIC_AUTH_USER_INFO + " or " + BEARER_AUTH_TOKEN);
        }
        return uri;
    }

    /** A URL as it may appear in a message: without its userinfo, query values or fragment. */
    private static String describeUrl(String raw) {
        return SafeUrls.shown(raw);
    }

    /** Refuses cleartext to a registry that is not on loopback unless {@link #ALLOW_CLEARTEXT} is set. */
    private void requireCleartextAllowed(URI uri) {
        if (allowCleartext || !"http".equalsIgnoreCase(uri.getScheme()) || SafeUrls.isLoopbackHost(uri.getHost())) {
            return;
        }
        throw new ConfigException(SCHEMA_REGISTRY_URL + " entry " + describeUrl(uri.toString())
                + " is cleartext http to " + uri.getHost()
                + ", which is not loopback (localhost, 127.0.0.0/8, ::1): registry credentials would "
                + "cross the network unencrypted and schemas could be altered on the way. Use https://, or, only on a "
                + "network you trust, allow it with " + ALLOW_CLEARTEXT
                + "=true (CHAT_BRIDGE_REGISTRY_ALLOW_CLEARTEXT)");
    }

    private static URI withoutUserInfo(URI uri) {
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw new ConfigException(SCHEMA_REGISTRY_URL
                    + " has an entry that cannot be rebuilt without its userinfo: " + uri.getScheme() + "://"
                    + SafeUrls.REDACTED + "@" + uri.getHost() + ": check the URL's syntax");
        }
    }

    private static String decodeUserInfo(String rawUserInfo) {
        return URLDecoder.decode(rawUserInfo.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private String basicUserInfo(Map<String, ?> configs, String userInfoFromUrl) {
        switch (basicSource) {
            case "URL":
                return userInfoFromUrl;
            case "USER_INFO":
                String info = string(configs, BASIC_AUTH_USER_INFO).orElse("");
                if (info.isBlank() || !info.contains(":")) {
                    throw new ConfigException(BASIC_AUTH_USER_INFO + " must be user:password when "
                            + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO: set it, or set the source to URL");
                }
                return info;
            default:
                throw new ConfigException(
                        BASIC_AUTH_CREDENTIALS_SOURCE + "=" + basicSource + " is not supported: use USER_INFO or URL");
        }
    }

    private static String bearerToken(Map<String, ?> configs) {
        Optional<String> source = string(configs, BEARER_AUTH_CREDENTIALS_SOURCE)
                .map(s -> s.trim().toUpperCase(Locale.ROOT));
        Optional<String> token = string(configs, BEARER_AUTH_TOKEN).filter(t -> !t.isBlank());
        if (source.isEmpty() && token.isEmpty()) {
            return null;
        }
        if (source.isPresent() && !source.get().equals("STATIC_TOKEN")) {
            throw new ConfigException(BEARER_AUTH_CREDENTIALS_SOURCE + "=" + source.get()
                    + " is not supported: use STATIC_TOKEN with " + BEARER_AUTH_TOKEN);
        }
        return token.orElseThrow(() -> new ConfigException(BEARER_AUTH_TOKEN + " is missing while "
                + BEARER_AUTH_CREDENTIALS_SOURCE + "=STATIC_TOKEN: set the token, or remove the source"));
    }

    private static Path readableFile(String location) {
        Path path = Path.of(location.trim());
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException(SSL_TRUSTSTORE_LOCATION + "=" + location
                    + " is not a readable file: give the path of a JKS or PKCS12 truststore");
        }
        return path;
    }

    private static String truststoreType(Map<String, ?> configs) {
        String type = string(configs, SSL_TRUSTSTORE_TYPE).orElse("JKS").trim().toUpperCase(Locale.ROOT);
        if (!type.equals("JKS") && !type.equals("PKCS12")) {
            throw new ConfigException(SSL_TRUSTSTORE_TYPE + "=" + type + " is not supported: use JKS or PKCS12");
        }
        return type;
    }

    private static Optional<String> string(Map<String, ?> configs, String key) {
        Object value = configs.get(key);
        if (value == null) {
            return Optional.empty();
        }
        return Optional.of(value instanceof Password password ? password.value() : String.valueOf(value));
    }

    private static boolean booleanValue(Map<String, ?> configs, String key, boolean defaultValue) {
        Object value = configs.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean bool) {
            return bool;
        }
        String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        if (!text.equals("true") && !text.equals("false")) {
            throw new ConfigException(
                    key + "=" + value + " is not a boolean: give true or false (default " + defaultValue + ")");
        }
        return Boolean.parseBoolean(text);
    }

    private static long longValue(Map<String, ?> configs, String key, long defaultValue, long min, long max) {
        Object value = configs.get(key);
        long parsed;
        if (value == null) {
            return defaultValue;
        } else if (value instanceof Number number) {
            parsed = number.longValue();
        } else {
            try {
                parsed = Long.parseLong(String.valueOf(value).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key + "=" + value + " is not a whole number: give an integer between " + min
                        + " and " + max + " (default " + defaultValue + ")");
            }
        }
        if (parsed < min || parsed > max) {
            throw new ConfigException(key + "=" + parsed + " is out of range: give an integer between " + min + " and "
                    + max + " (default " + defaultValue + ")");
        }
        return parsed;
    }
}
