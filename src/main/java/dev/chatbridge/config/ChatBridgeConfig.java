package dev.chatbridge.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.PASSWORD;
import static org.apache.kafka.common.config.ConfigDef.Type.SHORT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.EngineConfigDef;
import dev.chatbridge.policy.PolicyConfigDef;
import dev.chatbridge.registry.RegistryClientConfig;
import dev.chatbridge.serde.AvroSerdeConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.types.Password;

/**
 * chat-bridge's configuration: the one typed definition ({@link #DEFINITION}, Kafka's {@code ConfigDef}: key, type,
 * default, validator, importance, doc) of the service's own {@code chat.*} settings, and one parsed, immutable set of
 * values.
 *
 * <p>Keys outside {@code chat.*} are not chat-bridge's: they pass through untouched to the Kafka clients, Kafka Streams
 * and the serdes ({@link #kafkaSettings()}). Where values come from, and in which order, is {@link ConfigLoader}'s
 * business; what the service is built from is {@link ServiceSettings}'s. Immutable and thread-safe.
 */
public final class ChatBridgeConfig {

    /** Base URL of the assistant API. */
    public static final String API_URL = "chat.api.url";
    /** File holding the API key (preferred). */
    public static final String API_KEY_FILE = "chat.api.key.file";
    /** The API key itself. */
    public static final String API_KEY = "chat.api.key";
    /** TCP/TLS connect timeout. */
    public static final String API_CONNECT_TIMEOUT = "chat.api.connect.timeout.ms";
    /** Time to the first byte of an answer. */
    public static final String API_FIRST_BYTE_TIMEOUT = "chat.api.first.byte.timeout.ms";
    /** Longest gap between two chunks of an answer. */
    public static final String API_IDLE_TIMEOUT = "chat.api.idle.timeout.ms";
    /** Longest time of one attempt. */
    public static final String API_ATTEMPT_TIMEOUT = "chat.api.attempt.timeout.ms";
    /** Truststore for an https API. */
    public static final String API_TRUSTSTORE_LOCATION = "chat.api.truststore.location";
    /** Password of the API truststore. */
    public static final String API_TRUSTSTORE_PASSWORD = "chat.api.truststore.password";
    /** Type of the API truststore. */
    public static final String API_TRUSTSTORE_TYPE = "chat.api.truststore.type";
    /** Whether http:// to a non-loopback API host is accepted. */
    public static final String API_ALLOW_CLEARTEXT = "chat.api.allow.cleartext";
    /** PEM certificate chain of the client certificate for mutual TLS with the API. */
    public static final String API_TLS_CLIENT_CERTIFICATE_FILE = "chat.api.tls.client.certificate.file";
    /** PKCS#8 PEM private key of the client certificate. */
    public static final String API_TLS_CLIENT_KEY_FILE = "chat.api.tls.client.key.file";
    /** Password of an encrypted client key. */
    public static final String API_TLS_CLIENT_KEY_PASSWORD = "chat.api.tls.client.key.password";
    /** Whether http:// to a non-loopback schema registry is accepted. */
    public static final String REGISTRY_ALLOW_CLEARTEXT = RegistryClientConfig.ALLOW_CLEARTEXT;
    /** Whether a stream that breaks after its first event is retried. */
    public static final String API_RETRY_BROKEN_STREAMS = "chat.api.retry.broken.streams";
    /** Largest answer body of a 2xx, in bytes. */
    public static final String API_MAX_ANSWER_BYTES = "chat.api.max.answer.bytes";
    /** Heap the answers of all calls in flight may take together. */
    public static final String API_ANSWER_MEMORY_BYTES = "chat.api.answer.memory.bytes";
    /** Whether {@code run} creates missing topics. */
    public static final String TOPICS_CREATE = "chat.topics.create";
    /** Partitions of created topics. */
    public static final String TOPICS_PARTITIONS = "chat.topics.partitions";
    /** Replication factor of created topics. */
    public static final String TOPICS_REPLICATION_FACTOR = "chat.topics.replication.factor";
    /** exactly_once_v2 or at_least_once. */
    public static final String PROCESSING_GUARANTEE = "chat.processing.guarantee";
    /** How long a graceful shutdown waits for calls in flight. */
    public static final String SHUTDOWN_DRAIN_TIMEOUT = "chat.shutdown.drain.timeout.ms";
    /** Address the metrics and health endpoint binds to. */
    public static final String METRICS_HOST = "chat.metrics.host";
    /** Port of the metrics and health endpoint. */
    public static final String METRICS_PORT = "chat.metrics.port";
    /** human or json. */
    public static final String LOG_FORMAT = "chat.log.format";
    /** Whether every call is audited as a JSON line on the logger chat.bridge.audit. */
    public static final String AUDIT_LOG = "chat.audit.log";
    /** Topic that also receives every audit event, or none. */
    public static final String AUDIT_TOPIC = "chat.audit.topic";

    /** Prefix of chat-bridge's own keys; everything else is a Kafka, Streams or serde setting. */
    public static final String PREFIX = "chat.";

    /**
     * The one definition of chat-bridge's settings (the engine's part comes from {@link EngineConfigDef}, the request
     * policy's from {@link PolicyConfigDef}).
     */
    public static final ConfigDef DEFINITION = PolicyConfigDef.addTo(EngineConfigDef.definition())
            .define(
                    API_URL,
                    STRING,
                    null,
                    HIGH,
                    "Base URL of the assistant API, without /chats/v2 (for example https://api.example.com). "
                            + "Required by run.")
            .define(
                    API_KEY_FILE,
                    STRING,
                    null,
                    HIGH,
                    "File holding the API key (for example a mounted secret); preferred over " + API_KEY + ".")
            .define(
                    API_KEY,
                    PASSWORD,
                    null,
                    HIGH,
                    "The API key itself, for when a file is not an option (set it through the environment, "
                            + "never in a file under version control). Never logged.")
            .define(
                    API_CONNECT_TIMEOUT,
                    LONG,
                    5_000L,
                    Range.atLeast(1),
                    LOW,
                    "Longest wait for a TCP (and TLS) connection to the API.")
            .define(
                    API_FIRST_BYTE_TIMEOUT,
                    LONG,
                    30_000L,
                    Range.atLeast(1),
                    MEDIUM,
                    "Longest wait from the start of an attempt to the first byte of the answer; at most "
                            + API_ATTEMPT_TIMEOUT + ".")
            .define(
                    API_IDLE_TIMEOUT,
                    LONG,
                    60_000L,
                    Range.atLeast(1),
                    LOW,
                    "Longest gap between two chunks of a streamed answer.")
            .define(
                    API_ATTEMPT_TIMEOUT,
                    LONG,
                    300_000L,
                    Range.atLeast(1),
                    MEDIUM,
                    "Longest time one attempt may take, from start to complete answer.")
            .define(
                    API_TRUSTSTORE_LOCATION,
                    STRING,
                    null,
                    LOW,
                    "Truststore that verifies the API's TLS certificate (https only); default: the JDK's.")
            .define(API_TRUSTSTORE_PASSWORD, PASSWORD, null, LOW, "Password of the API truststore.")
            .define(
                    API_TRUSTSTORE_TYPE,
                    STRING,
                    "PKCS12",
                    ConfigDef.CaseInsensitiveValidString.in("PKCS12", "JKS"),
                    LOW,
                    "Type of the API truststore.")
            .define(
                    API_ALLOW_CLEARTEXT,
                    BOOLEAN,
                    false,
                    MEDIUM,
                    "Whether an http:// " + API_URL + " to a host other than loopback (localhost, 127.0.0.0/8, ::1; "
                            + "names are not resolved) is accepted. Off: run refuses it, since the API key and the "
                            + "prompts would cross the network unencrypted. Turn on only for a network you trust.")
            .define(
                    API_TLS_CLIENT_CERTIFICATE_FILE,
                    STRING,
                    null,
                    LOW,
                    "PEM file with the client certificate chain (leaf first) for mutual TLS with the API (https "
                            + "only); needs " + API_TLS_CLIENT_KEY_FILE + ". Read and checked at start.")
            .define(
                    API_TLS_CLIENT_KEY_FILE,
                    STRING,
                    null,
                    LOW,
                    "PEM file with the client certificate's private key, PKCS#8 (BEGIN PRIVATE KEY, or BEGIN "
                            + "ENCRYPTED PRIVATE KEY with " + API_TLS_CLIENT_KEY_PASSWORD + "); must match the "
                            + "certificate.")
            .define(
                    API_TLS_CLIENT_KEY_PASSWORD,
                    PASSWORD,
                    null,
                    LOW,
                    "Password of an encrypted client key (" + API_TLS_CLIENT_KEY_FILE + "). Never logged.")
            .define(RegistryClientConfig.DEFINITION.configKeys().get(REGISTRY_ALLOW_CLEARTEXT))
            .define(
                    API_RETRY_BROKEN_STREAMS,
                    BOOLEAN,
                    true,
                    LOW,
                    "Whether an answer stream that breaks after its first event is retried (the partial answer "
                            + "is discarded); when false it becomes an UNPARSEABLE_RESPONSE dead letter.")
            .define(
                    API_MAX_ANSWER_BYTES,
                    INT,
                    1_000_000,
                    Range.atLeast(ChatClientConfig.MIN_ANSWER_BYTES),
                    MEDIUM,
                    "Largest answer body (JSON or event stream) of a 2xx, in bytes; reading stops as soon as an "
                            + "answer passes it, and the request becomes a RESPONSE_TOO_LARGE dead letter. The default "
                            + "matches chat.response.max.bytes: a larger answer could not be published anyway. Answers "
                            + "also have fixed item caps (docs/architecture.md, \"Answers: what counts as one, and how "
                            + "big it may be\").")
            .define(
                    API_ANSWER_MEMORY_BYTES,
                    LONG,
                    0L,
                    Range.atLeast(0),
                    LOW,
                    "Heap bytes the answers of all calls in flight may take together, counted as the bytes "
                            + "arrive at a measured 262,144 heap bytes per answer plus 10 per answer byte; a call that "
                            + "finds it used up is retried later. 0: a quarter of the heap (-Xmx). Must hold at least "
                            + "one answer of " + API_MAX_ANSWER_BYTES + ".")
            .define(
                    TOPICS_CREATE,
                    BOOLEAN,
                    false,
                    MEDIUM,
                    "Whether run creates the three topics when they are missing; otherwise it stops and names them.")
            .define(
                    TOPICS_PARTITIONS,
                    INT,
                    6,
                    Range.atLeast(1),
                    MEDIUM,
                    "Partitions of topics that chat-bridge creates; the most instances that share the work.")
            .define(
                    TOPICS_REPLICATION_FACTOR,
                    SHORT,
                    (short) 3,
                    Range.atLeast(1),
                    MEDIUM,
                    "Replication factor of topics that chat-bridge creates.")
            .define(
                    PROCESSING_GUARANTEE,
                    STRING,
                    "exactly_once_v2",
                    ConfigDef.ValidString.in("exactly_once_v2", "at_least_once"),
                    HIGH,
                    "exactly_once_v2: one outcome per request even across crashes. at_least_once: a crash may "
                            + "publish an outcome twice. Sets Kafka Streams' processing.guarantee.")
            .define(
                    SHUTDOWN_DRAIN_TIMEOUT,
                    LONG,
                    30_000L,
                    Range.atLeast(0),
                    MEDIUM,
                    "On SIGTERM, how long to wait for calls in flight before closing; unfinished calls stay "
                            + "pending and are re-sent by the next owner of their partition.")
            .define(
                    METRICS_HOST,
                    STRING,
                    "127.0.0.1",
                    new ConfigDef.NonEmptyString(),
                    MEDIUM,
                    "Address the metrics and health endpoint binds to; 0.0.0.0 to expose it outside a container.")
            .define(
                    METRICS_PORT,
                    INT,
                    9404,
                    Range.between(0, 65_535),
                    MEDIUM,
                    "Port of the metrics and health endpoint; 0 picks a free one.")
            .define(
                    AUDIT_LOG,
                    BOOLEAN,
                    true,
                    MEDIUM,
                    "Write one JSON line per API call (and per key check) on the logger chat.bridge.audit: requestId, "
                            + "the API's requestId, account, assistantId, threadId, source topic/partition/offset, the "
                            + "producer's verified identity, status, result, attempt, duration. Never prompts, answers "
                            + "or the key. See docs/security.md.")
            .define(
                    AUDIT_TOPIC,
                    STRING,
                    null,
                    MEDIUM,
                    "Topic that also receives every audit event (the same JSON, keyed by requestId), through an "
                            + "idempotent producer of its own (acks=all), outside the Streams transaction: a call is "
                            + "audited even when the transaction that publishes its outcome aborts. Empty: none. "
                            + "Created with the others when " + TOPICS_CREATE + "=true.")
            .define(
                    LOG_FORMAT,
                    STRING,
                    "human",
                    ConfigDef.CaseInsensitiveValidString.in("human", "json"),
                    LOW,
                    "Log line format on stderr: human (one readable line) or json (one JSON object per line).");

    private final Map<String, Object> values;
    private final Map<String, String> kafka;

    private ChatBridgeConfig(Map<String, Object> values, Map<String, String> kafka) {
        this.values = values;
        this.kafka = kafka;
    }

    /**
     * Parses merged settings: {@code chat.*} keys against {@link #DEFINITION} (defaults for those absent), the others
     * kept as Kafka settings, of which those of the registry client and the serdes are checked against their
     * definitions ({@link RegistryClientConfig#DEFINITION}, {@link AvroSerdeConfig#DEFINITION}). Unknown {@code chat.*}
     * keys are ignored here ({@link ConfigLoader} warns about them).
     *
     * @throws InvalidConfigurationException listing one line per bad value
     */
    public static ChatBridgeConfig parse(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> values = SettingChecks.parse(DEFINITION, settings, problems);
        Map<String, String> kafka = new TreeMap<>();
        settings.forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                kafka.put(k, v);
            }
        });
        // The registry client's and the serdes' settings are checked now too, with the others.
        SettingChecks.parse(RegistryClientConfig.DEFINITION, kafka, problems);
        SettingChecks.parse(AvroSerdeConfig.DEFINITION, kafka, problems);
        InvalidConfigurationException.throwIfAny(problems);
        return new ChatBridgeConfig(Collections.unmodifiableMap(values), Collections.unmodifiableMap(kafka));
    }

    /** Whether {@code key} is one of chat-bridge's own settings. */
    public static boolean isDefined(String key) {
        return DEFINITION.configKeys().containsKey(key);
    }

    /** The parsed value of one of chat-bridge's settings (default when not set); null when unset without default. */
    public Object get(String key) {
        if (!values.containsKey(key)) {
            throw new IllegalArgumentException(key + " is not a chat-bridge setting");
        }
        return values.get(key);
    }

    /** A string setting, or null. */
    public String string(String key) {
        Object v = get(key);
        return v == null ? null : v.toString();
    }

    /** A password setting's value, or null; never log it. */
    public String secret(String key) {
        Object v = get(key);
        return v == null ? null : ((Password) v).value();
    }

    /** An int setting. */
    public int integer(String key) {
        return ((Number) get(key)).intValue();
    }

    /** A long setting. */
    public long longValue(String key) {
        return ((Number) get(key)).longValue();
    }

    /** A boolean setting. */
    public boolean bool(String key) {
        return (Boolean) get(key);
    }

    /** Every chat-bridge setting, parsed (passwords as Kafka's {@link Password}, whose toString is hidden). */
    public Map<String, Object> values() {
        return values;
    }

    /** The settings outside {@code chat.*}, for Kafka clients, Kafka Streams and the serdes, untouched. */
    public Map<String, String> kafkaSettings() {
        return kafka;
    }

    /** The engine settings (topics, limits, retry policy). */
    public EngineConfig engine() {
        Map<String, Object> engineProps = new LinkedHashMap<>();
        for (String key : EngineConfigDef.definition().names()) {
            engineProps.put(key, values.get(key));
        }
        return EngineConfig.fromProperties(engineProps);
    }

    /** The format of log lines. */
    public LogFormat logFormat() {
        return LogFormat.valueOf(Objects.requireNonNull(string(LOG_FORMAT)).toUpperCase(Locale.ROOT));
    }

    /** Log line formats. */
    public enum LogFormat {
        /** One readable line per event. */
        HUMAN,
        /** One JSON object per line. */
        JSON
    }
}
