package dev.chatbridge.api;

import dev.chatbridge.Version;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.SettingChecks;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.transport.SafeUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Immutable settings of {@link ChatClient}; build one with {@link #builder()}. Every setting has a default except
 * {@code baseUrl} and {@code apiKey}; {@link Builder#build()} validates each setting and their relationships and throws
 * one {@link InvalidConfigurationException} with a line per problem, naming the setting. {@link #toString()} never
 * shows a secret.
 */
public final class ChatClientConfig {

    /** A custom truststore for TLS (verification is always on); the password is never shown. */
    public record TrustStore(Path path, String password, String type) {

        public TrustStore {
            Objects.requireNonNull(path, "trustStore.path");
            Objects.requireNonNull(type, "trustStore.type");
        }

        @Override
        public String toString() {
            return "TrustStore[path=" + path + ", type=" + type + ", password="
                    + (password == null ? "none" : "redacted") + "]";
        }
    }

    /**
     * The client certificate for mutual TLS: the certificate chain (PEM, leaf first) and its PKCS#8 PEM private key,
     * optionally encrypted with {@code keyPassword}. Read and checked when the config is built; the password is never
     * shown.
     */
    public record ClientCertificate(Path certificateFile, Path keyFile, String keyPassword) {

        public ClientCertificate {
            Objects.requireNonNull(certificateFile, "clientCertificate.certificateFile");
            Objects.requireNonNull(keyFile, "clientCertificate.keyFile");
        }

        @Override
        public String toString() {
            return "ClientCertificate[certificateFile=" + certificateFile + ", keyFile=" + keyFile + ", keyPassword="
                    + (keyPassword == null ? "none" : "redacted") + "]";
        }
    }
    /** Smallest {@link #maxAnswerBytes()} and {@link #maxEventBytes()}; also the range of chat.api.max.answer.bytes. */
    public static final int MIN_ANSWER_BYTES = 64;

    /** Default of {@link #maxAnswerBytes()}: that of chat.api.max.answer.bytes. */
    public static final int DEFAULT_MAX_ANSWER_BYTES = defaultOf(ChatBridgeConfig.API_MAX_ANSWER_BYTES, Integer.class);

    private static final int DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

    private final URI baseUrl;
    private final URI endpoint;
    private final ApiKey apiKey;
    private final Duration connectTimeout;
    private final Duration firstByteTimeout;
    private final Duration idleTimeout;
    private final Duration attemptTimeout;
    private final int maxInFlight;
    private final int maxPendingAcquires;
    private final Duration pendingAcquireTimeout;
    private final Duration maxIdleTime;
    private final int maxEventBytes;
    private final int maxAnswerBytes;
    private final int excerptBytes;
    private final long answerMemoryBytes;
    private final AnswerCaps answerCaps;
    private final boolean retryBrokenStreams;
    private final TrustStore trustStore;
    private final boolean allowCleartext;
    private final ClientCertificate clientCertificate;
    private final ClientKeyMaterial clientKeyMaterial;
    private final String userAgent;

    private ChatClientConfig(Builder b) {
        List<String> problems = new ArrayList<>();
        this.baseUrl = validBaseUrl(b.baseUrl, problems);
        this.endpoint = baseUrl == null ? null : URI.create(baseUrl + "/chats/v2");
        this.apiKey = b.apiKey;
        if (apiKey == null) {
            problems.add("apiKey must be set");
        }
        this.connectTimeout = positive(b.connectTimeout, "connectTimeout", problems);
        this.firstByteTimeout = positive(b.firstByteTimeout, "firstByteTimeout", problems);
        this.idleTimeout = positive(b.idleTimeout, "idleTimeout", problems);
        this.attemptTimeout = positive(b.attemptTimeout, "attemptTimeout", problems);
        this.maxInFlight = atLeast(b.maxInFlight, 1, "maxInFlight", problems);
        this.maxPendingAcquires = atLeast(
                b.maxPendingAcquires == null ? 2 * maxInFlight : b.maxPendingAcquires,
                1,
                "maxPendingAcquires",
                problems);
        this.pendingAcquireTimeout = positive(b.pendingAcquireTimeout, "pendingAcquireTimeout", problems);
        this.maxIdleTime = positive(b.maxIdleTime, "maxIdleTime", problems);
        this.maxAnswerBytes = atLeast(b.maxAnswerBytes, MIN_ANSWER_BYTES, "maxAnswerBytes", problems);
        this.maxEventBytes = atLeast(
                b.maxEventBytes == null ? Math.min(DEFAULT_MAX_EVENT_BYTES, maxAnswerBytes) : b.maxEventBytes,
                MIN_ANSWER_BYTES,
                "maxEventBytes",
                problems);
        this.excerptBytes = atLeast(b.excerptBytes, 16, "excerptBytes", problems);
        this.answerMemoryBytes = b.answerMemoryBytes == 0 ? Runtime.getRuntime().maxMemory() / 4 : b.answerMemoryBytes;
        if (b.answerMemoryBytes < 0) {
            problems.add("answerMemoryBytes must be at least 0 (0: a quarter of the heap), was " + b.answerMemoryBytes);
        } else if (answerMemoryBytes < AnswerBudget.heapFor(maxAnswerBytes)) {
            problems.add("answerMemoryBytes (" + answerMemoryBytes
                    + (b.answerMemoryBytes == 0 ? ", a quarter of the heap" : "")
                    + ") cannot hold even one answer of maxAnswerBytes "
                    + maxAnswerBytes + " (" + AnswerBudget.heapFor(maxAnswerBytes) + " heap bytes: "
                    + AnswerBudget.BASE_HEAP_BYTES + " plus " + AnswerBudget.HEAP_BYTES_PER_ANSWER_BYTE
                    + " per answer byte): raise the heap (-Xmx) or answerMemoryBytes (chat.api.answer.memory.bytes),"
                    + " or lower maxAnswerBytes (chat.api.max.answer.bytes)");
        }
        this.answerCaps = b.answerCaps;
        if (answerCaps == null) {
            problems.add("answerCaps must be set");
        }
        this.retryBrokenStreams = b.retryBrokenStreams;
        this.trustStore = b.trustStore;
        this.userAgent = "chat-bridge/" + Version.get();
        // The one check of these relations: run reports these lines too, as they name the settings.
        notAbove(
                firstByteTimeout,
                "firstByteTimeout",
                ChatBridgeConfig.API_FIRST_BYTE_TIMEOUT,
                attemptTimeout,
                problems);
        notAbove(connectTimeout, "connectTimeout", ChatBridgeConfig.API_CONNECT_TIMEOUT, attemptTimeout, problems);
        if (maxEventBytes > maxAnswerBytes) {
            problems.add("maxEventBytes (" + maxEventBytes + ") must not exceed maxAnswerBytes (" + maxAnswerBytes
                    + "): one event cannot be larger than the whole answer");
        }
        boolean https = baseUrl != null && "https".equalsIgnoreCase(baseUrl.getScheme());
        if (trustStore != null && baseUrl != null && !https) {
            problems.add("trustStore is set but baseUrl " + baseUrl
                    + " is not https: use an https base URL or drop the truststore");
        }
        // Transport: cleartext only to loopback unless allowed; the client certificate read and checked now.
        this.allowCleartext = b.allowCleartext;
        if (baseUrl != null) {
            requireCleartextAllowed(baseUrl, allowCleartext, problems);
        }
        this.clientCertificate = b.clientCertificate;
        if (clientCertificate != null && baseUrl != null && !https) {
            problems.add("clientCertificate is set but baseUrl " + baseUrl
                    + " is not https: use an https base URL or drop the client certificate");
        }
        this.clientKeyMaterial = clientCertificate == null ? null : keyMaterial(clientCertificate, problems);
        InvalidConfigurationException.throwIfAny(problems);
    }

    private static ClientKeyMaterial keyMaterial(ClientCertificate certificate, List<String> problems) {
        try {
            return ClientKeyMaterial.load(
                    certificate.certificateFile(), certificate.keyFile(), certificate.keyPassword());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    /** A builder with every default set; {@code baseUrl} and {@code apiKey} must still be given. */
    public static Builder builder() {
        return new Builder();
    }

    /** The API's base URL, without a trailing slash. */
    public URI baseUrl() {
        return baseUrl;
    }

    /** {@code baseUrl + "/chats/v2"}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The API key (its toString is redacted). */
    public ApiKey apiKey() {
        return apiKey;
    }

    /** Longest wait for a TCP (and TLS) connection. Default: chat.api.connect.timeout.ms's. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Longest wait from the start of an attempt to the first byte of the answer body. Default:
     * chat.api.first.byte.timeout.ms's.
     */
    public Duration firstByteTimeout() {
        return firstByteTimeout;
    }

    /** Longest gap between two chunks of the answer body. Default: chat.api.idle.timeout.ms's. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Longest time one attempt may take, from start to complete answer. Default: chat.api.attempt.timeout.ms's. */
    public Duration attemptTimeout() {
        return attemptTimeout;
    }

    /** Connections at most (the pool size); the engine's in-flight limit. Default: chat.max.in.flight's. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Calls that may wait for a pooled connection at most. Default 2 x maxInFlight. */
    public int maxPendingAcquires() {
        return maxPendingAcquires;
    }

    /** Longest wait for a pooled connection. Default 10 s. */
    public Duration pendingAcquireTimeout() {
        return pendingAcquireTimeout;
    }

    /** An idle pooled connection is closed after this (checked in the background). Default 30 s. */
    public Duration maxIdleTime() {
        return maxIdleTime;
    }

    /** Largest SSE event (its data lines) and SSE line, in bytes. Default 1 MiB or maxAnswerBytes if smaller. */
    public int maxEventBytes() {
        return maxEventBytes;
    }

    /**
     * Largest answer body of a 2xx, in bytes; a larger one ends early as RESPONSE_TOO_LARGE. Default:
     * chat.api.max.answer.bytes's (the default largest response record: a larger answer could not be published anyway).
     */
    public int maxAnswerBytes() {
        return maxAnswerBytes;
    }

    /** Largest body excerpt kept in a failure, in bytes. Default 2 KiB. */
    public int excerptBytes() {
        return excerptBytes;
    }

    /**
     * Heap bytes the answers of all calls in flight may take together ({@link AnswerBudget}); a call that finds it used
     * up fails retriably. Default (set 0): a quarter of the heap ({@code Runtime.maxMemory() / 4}). Must hold at least
     * one answer of {@link #maxAnswerBytes()}.
     */
    public long answerMemoryBytes() {
        return answerMemoryBytes;
    }

    /** Item caps of one answer. Default {@link AnswerCaps#DEFAULT}. */
    public AnswerCaps answerCaps() {
        return answerCaps;
    }

    /**
     * Whether a stream that breaks after its first event is retriable (the partial answer is then discarded); when
     * false it is a permanent UNPARSEABLE_RESPONSE. Default true.
     */
    public boolean retryBrokenStreams() {
        return retryBrokenStreams;
    }

    /** The custom truststore, or null for the JDK's. */
    public TrustStore trustStore() {
        return trustStore;
    }

    /**
     * Whether {@code http://} to a host other than loopback is accepted. Default false: the bearer key and the prompts
     * would cross the network in clear.
     */
    public boolean allowCleartext() {
        return allowCleartext;
    }

    /** The client certificate for mutual TLS, or null for none. */
    public ClientCertificate clientCertificate() {
        return clientCertificate;
    }

    /** The client certificate's chain and key as read at build time, or null; for {@link ChatClient}'s TLS context. */
    ClientKeyMaterial clientKeyMaterial() {
        return clientKeyMaterial;
    }

    /** {@code chat-bridge/<version>}. */
    public String userAgent() {
        return userAgent;
    }

    @Override
    public String toString() {
        return "ChatClientConfig[baseUrl=" + baseUrl + ", apiKey=" + apiKey + ", connectTimeout=" + connectTimeout
                + ", firstByteTimeout=" + firstByteTimeout + ", idleTimeout=" + idleTimeout
                + ", attemptTimeout=" + attemptTimeout + ", maxInFlight=" + maxInFlight
                + ", maxPendingAcquires=" + maxPendingAcquires + ", pendingAcquireTimeout=" + pendingAcquireTimeout
                + ", maxIdleTime=" + maxIdleTime + ", maxEventBytes=" + maxEventBytes
                + ", maxAnswerBytes=" + maxAnswerBytes + ", excerptBytes=" + excerptBytes
                + ", answerMemoryBytes=" + answerMemoryBytes + ", answerCaps=" + answerCaps
                + ", retryBrokenStreams=" + retryBrokenStreams + ", trustStore=" + trustStore
                + ", allowCleartext=" + allowCleartext + ", clientCertificate=" + clientCertificate
                + ", userAgent=" + userAgent + "]";
    }

    private static URI validBaseUrl(String value, List<String> problems) {
        if (value == null) {
            problems.add("baseUrl must be set");
            return null;
        }
        URI uri;
        try {
            uri = new URI(value.strip());
        } catch (URISyntaxException e) {
            problems.add("baseUrl " + SafeUrls.shown(value.strip()) + " is not a valid URL (" + e.getReason()
                    + " at index " + e.getIndex() + "): give https://host[:port][/path]");
            return null;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        String problem = null;
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            problem = "baseUrl must start with http:// or https://";
        } else if (uri.getRawUserInfo() != null) {
            problem = "baseUrl must not carry user information (credentials go in apiKey)";
        } else if (uri.getHost() == null) {
            problem = "baseUrl " + SafeUrls.shown(uri.toString()) + " has no host";
        } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problem = "baseUrl " + SafeUrls.shown(uri.toString())
                    + " must not have a query or a fragment: give the base URL only (the key goes in apiKey)";
        }
        if (problem != null) {
            problems.add(problem);
            return null;
        }
        String text = uri.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }

    /**
     * Refuses {@code http://} to a non-loopback host unless allowed: the {@code Authorization} header and the prompts
     * would be readable on the network. Loopback is decided without DNS ({@link SafeUrls#isLoopbackHost(String)}).
     */
    private static void requireCleartextAllowed(URI baseUrl, boolean allowed, List<String> problems) {
        if (allowed || !"http".equalsIgnoreCase(baseUrl.getScheme()) || SafeUrls.isLoopbackHost(baseUrl.getHost())) {
            return;
        }
        problems.add("baseUrl " + SafeUrls.shown(baseUrl.toString()) + " is cleartext http to "
                + baseUrl.getHost() + ", which is not loopback (localhost, 127.0.0.0/8, ::1): the API key and the "
                + "prompts would cross the network unencrypted. Use https://, or, only on a network you trust, allow "
                + "it with chat.api.allow.cleartext=true (CHAT_BRIDGE_API_ALLOW_CLEARTEXT; builder allowCleartext)");
    }

    private static Duration positive(Duration value, String name, List<String> problems) {
        SettingChecks.positive(value, name, problems);
        return value;
    }

    private static int atLeast(int value, int min, String name, List<String> problems) {
        SettingChecks.atLeast(value, min, name, problems);
        return value;
    }

    /** A timeout of one attempt's phase must not be longer than the whole attempt. */
    private static void notAbove(Duration value, String name, String key, Duration attempt, List<String> problems) {
        if (value != null && attempt != null && value.compareTo(attempt) > 0) {
            String limit = ChatBridgeConfig.API_ATTEMPT_TIMEOUT;
            problems.add(key + " (" + value.toMillis() + ") must not exceed " + limit + " (" + attempt.toMillis()
                    + "): lower " + key + " or raise " + limit + " (builder: " + name + ", attemptTimeout)");
        }
    }

    /** The default of a setting in chat-bridge's one definition, so that the builder cannot drift from it. */
    private static <T> T defaultOf(String key, Class<T> type) {
        return type.cast(ChatBridgeConfig.DEFINITION.configKeys().get(key).defaultValue);
    }

    private static Duration defaultMillis(String key) {
        return Duration.ofMillis(defaultOf(key, Long.class));
    }

    /**
     * Collects settings; not thread-safe. The defaults of the settings chat-bridge's definition has are taken from it
     * ({@link ChatBridgeConfig#DEFINITION}); the others (pool, event and excerpt sizes) are the client's own.
     */
    public static final class Builder {
        private String baseUrl;
        private ApiKey apiKey;
        private Duration connectTimeout = defaultMillis(ChatBridgeConfig.API_CONNECT_TIMEOUT);
        private Duration firstByteTimeout = defaultMillis(ChatBridgeConfig.API_FIRST_BYTE_TIMEOUT);
        private Duration idleTimeout = defaultMillis(ChatBridgeConfig.API_IDLE_TIMEOUT);
        private Duration attemptTimeout = defaultMillis(ChatBridgeConfig.API_ATTEMPT_TIMEOUT);
        private int maxInFlight = defaultOf(EngineConfig.KEY_MAX_IN_FLIGHT, Integer.class);
        private Integer maxPendingAcquires;
        private Duration pendingAcquireTimeout = Duration.ofSeconds(10);
        private Duration maxIdleTime = Duration.ofSeconds(30);
        private Integer maxEventBytes;
        private int maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES;
        private int excerptBytes = 2048;
        private long answerMemoryBytes = defaultOf(ChatBridgeConfig.API_ANSWER_MEMORY_BYTES, Long.class);
        private AnswerCaps answerCaps = AnswerCaps.DEFAULT;
        private boolean retryBrokenStreams = defaultOf(ChatBridgeConfig.API_RETRY_BROKEN_STREAMS, Boolean.class);
        private TrustStore trustStore;
        private boolean allowCleartext = defaultOf(ChatBridgeConfig.API_ALLOW_CLEARTEXT, Boolean.class);
        private ClientCertificate clientCertificate;

        private Builder() {}

        /** See {@link ChatClientConfig#baseUrl()}. Required. */
        public Builder baseUrl(String value) {
            this.baseUrl = value;
            return this;
        }

        /** See {@link ChatClientConfig#apiKey()}. Required. */
        public Builder apiKey(ApiKey value) {
            this.apiKey = value;
            return this;
        }

        /** See {@link ChatClientConfig#connectTimeout()}. */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /** See {@link ChatClientConfig#firstByteTimeout()}. */
        public Builder firstByteTimeout(Duration value) {
            this.firstByteTimeout = value;
            return this;
        }

        /** See {@link ChatClientConfig#idleTimeout()}. */
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        /** See {@link ChatClientConfig#attemptTimeout()}. */
        public Builder attemptTimeout(Duration value) {
            this.attemptTimeout = value;
            return this;
        }

        /** See {@link ChatClientConfig#maxInFlight()}. */
        public Builder maxInFlight(int value) {
            this.maxInFlight = value;
            return this;
        }

        /** See {@link ChatClientConfig#maxPendingAcquires()}. */
        public Builder maxPendingAcquires(int value) {
            this.maxPendingAcquires = value;
            return this;
        }

        /** See {@link ChatClientConfig#pendingAcquireTimeout()}. */
        public Builder pendingAcquireTimeout(Duration value) {
            this.pendingAcquireTimeout = value;
            return this;
        }

        /** See {@link ChatClientConfig#maxIdleTime()}. */
        public Builder maxIdleTime(Duration value) {
            this.maxIdleTime = value;
            return this;
        }

        /** See {@link ChatClientConfig#maxEventBytes()}. */
        public Builder maxEventBytes(int value) {
            this.maxEventBytes = value;
            return this;
        }

        /** See {@link ChatClientConfig#maxAnswerBytes()}. */
        public Builder maxAnswerBytes(int value) {
            this.maxAnswerBytes = value;
            return this;
        }

        /** See {@link ChatClientConfig#excerptBytes()}. */
        public Builder excerptBytes(int value) {
            this.excerptBytes = value;
            return this;
        }

        /** See {@link ChatClientConfig#answerMemoryBytes()}; 0 for a quarter of the heap. */
        public Builder answerMemoryBytes(long value) {
            this.answerMemoryBytes = value;
            return this;
        }

        /** See {@link ChatClientConfig#answerCaps()}. */
        public Builder answerCaps(AnswerCaps value) {
            this.answerCaps = value;
            return this;
        }

        /** See {@link ChatClientConfig#retryBrokenStreams()}. */
        public Builder retryBrokenStreams(boolean value) {
            this.retryBrokenStreams = value;
            return this;
        }

        /** See {@link ChatClientConfig#trustStore()}; null for the JDK's default truststore. */
        public Builder trustStore(TrustStore value) {
            this.trustStore = value;
            return this;
        }

        /** See {@link ChatClientConfig#allowCleartext()}. */
        public Builder allowCleartext(boolean value) {
            this.allowCleartext = value;
            return this;
        }

        /** See {@link ChatClientConfig#clientCertificate()}; null for no client certificate. */
        public Builder clientCertificate(ClientCertificate value) {
            this.clientCertificate = value;
            return this;
        }

        /** Validates every setting and returns the config. */
        public ChatClientConfig build() {
            return new ChatClientConfig(this);
        }
    }
}
