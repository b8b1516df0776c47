package dev.chatbridge.config;

import static dev.chatbridge.config.ChatBridgeConfig.API_ATTEMPT_TIMEOUT;
import static dev.chatbridge.config.ChatBridgeConfig.API_CONNECT_TIMEOUT;
import static dev.chatbridge.config.ChatBridgeConfig.API_FIRST_BYTE_TIMEOUT;
import static dev.chatbridge.config.ChatBridgeConfig.API_IDLE_TIMEOUT;
import static dev.chatbridge.config.ChatBridgeConfig.API_KEY;
import static dev.chatbridge.config.ChatBridgeConfig.API_KEY_FILE;
import static dev.chatbridge.config.ChatBridgeConfig.API_URL;

import dev.chatbridge.api.ApiKey;
import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.StreamsProperties;
import dev.chatbridge.policy.RequestPolicy;
import dev.chatbridge.registry.RegistryClientConfig;
import dev.chatbridge.serde.AvroSerdeConfig;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Turns a {@link ChatBridgeConfig} into what the service is made of ({@link ChatBridgeApp.Settings}) and checks, before
 * anything starts, everything that would make it fail later: missing API URL, key, brokers or registry, and clashing
 * timeouts. Every problem is one line that names the setting, its environment variable and the fix. Stateless.
 */
public final class ServiceSettings {

    /** Kafka Streams' application id when none is configured. */
    public static final String DEFAULT_APPLICATION_ID = "chat-bridge";

    private ServiceSettings() {}

    /**
     * The settings of one service instance.
     *
     * @throws InvalidConfigurationException with one line per problem
     */
    public static ChatBridgeApp.Settings forRun(ChatBridgeConfig config) {
        List<String> problems = new ArrayList<>();
        requireKafkaFor(config, problems);
        String url = config.string(API_URL);
        if (url == null || url.isBlank()) {
            problems.add(API_URL + " is not set: run needs the base URL of the assistant API. Set the environment "
                    + "variable " + ConfigLoader.envVarFor(API_URL) + "=https://..., or " + API_URL
                    + "=https://... in the --config file, or pass --api-url");
        }
        ApiKey key = apiKey(config, problems);
        EngineConfig engine = collect(problems, config::engine);
        timeouts(config, engine, problems);
        RequestPolicy policy = policy(config, problems);
        Properties streams = streamsProperties(config);
        if (engine != null) {
            collect(problems, () -> {
                engine.validateAgainst(streams);
                return null;
            });
        }
        ChatClientConfig client = null;
        if (url != null && !url.isBlank() && key != null) {
            int maxInFlight = engine != null ? engine.maxInFlight() : config.integer(EngineConfig.KEY_MAX_IN_FLIGHT);
            List<String> clientProblems = new ArrayList<>();
            client = collect(clientProblems, () -> clientConfig(config, url, key, maxInFlight, problems));
            clientProblems.stream().map(ServiceSettings::namingTheSetting).forEach(problems::add);
        }
        InvalidConfigurationException.throwIfAny(problems);
        return new ChatBridgeApp.Settings(
                streams,
                engine,
                client,
                serdeConfigs(config),
                Duration.ofMillis(config.longValue(ChatBridgeConfig.SHUTDOWN_DRAIN_TIMEOUT)),
                audit(config),
                policy);
    }

    /** The settings behind the API client's builder names, for its problems that name only the builder's. */
    private static final Map<String, String> CLIENT_SETTINGS = Map.of(
            "baseUrl", ChatBridgeConfig.API_URL,
            "connectTimeout", ChatBridgeConfig.API_CONNECT_TIMEOUT,
            "firstByteTimeout", ChatBridgeConfig.API_FIRST_BYTE_TIMEOUT,
            "idleTimeout", ChatBridgeConfig.API_IDLE_TIMEOUT,
            "attemptTimeout", ChatBridgeConfig.API_ATTEMPT_TIMEOUT,
            "trustStore", ChatBridgeConfig.API_TRUSTSTORE_LOCATION,
            "clientCertificate", ChatBridgeConfig.API_TLS_CLIENT_CERTIFICATE_FILE,
            "maxAnswerBytes", ChatBridgeConfig.API_MAX_ANSWER_BYTES,
            "answerMemoryBytes", ChatBridgeConfig.API_ANSWER_MEMORY_BYTES);

    /**
     * A problem of the API client as {@code run} reports it: led by the setting when the client named only its builder
     * name (its variable is added when the line is reported).
     */
    private static String namingTheSetting(String problem) {
        if (problem.contains(ChatBridgeConfig.PREFIX)) {
            return problem;
        }
        return CLIENT_SETTINGS.entrySet().stream()
                .filter(e -> problem.startsWith(e.getKey() + " "))
                .findFirst()
                .map(e -> e.getValue() + ": " + problem)
                .orElse(problem);
    }

    /** What {@code part} makes, or null after adding its configuration problems to {@code problems}. */
    private static <T> T collect(List<String> problems, Supplier<T> part) {
        try {
            return part.get();
        } catch (InvalidConfigurationException e) {
            problems.addAll(e.problems());
            return null;
        }
    }

    /** Where calls are audited: {@code chat.audit.log} and {@code chat.audit.topic}. */
    public static ChatBridgeApp.Audit audit(ChatBridgeConfig config) {
        String topic = config.string(ChatBridgeConfig.AUDIT_TOPIC);
        return new ChatBridgeApp.Audit(
                config.bool(ChatBridgeConfig.AUDIT_LOG), topic == null || topic.isBlank() ? null : topic.strip());
    }

    /** Adds a problem, naming the three ways to set it, when {@code bootstrap.servers} is not set. */
    public static void requireBootstrapServers(ChatBridgeConfig config, List<String> problems) {
        if (blank(config.kafkaSettings().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG))) {
            problems.add("bootstrap.servers is not set: name the Kafka brokers with the environment variable "
                    + "KAFKA_BOOTSTRAP_SERVERS=host:9092, or bootstrap.servers=host:9092 in the --config file, "
                    + "or pass --bootstrap-servers");
        }
    }

    /**
     * Adds a problem for each missing Kafka or registry connection setting, and for registry settings the registry
     * client would refuse (such as cleartext http to a remote registry).
     */
    public static void requireKafkaFor(ChatBridgeConfig config, List<String> problems) {
        Map<String, String> kafka = config.kafkaSettings();
        requireBootstrapServers(config, problems);
        if (blank(kafka.get(RegistryClientConfig.SCHEMA_REGISTRY_URL))) {
            problems.add("schema.registry.url is not set: name the schema registry with the environment variable "
                    + "KAFKA_SCHEMA_REGISTRY_URL=https://host:8081, or schema.registry.url=... in the --config file, "
                    + "or pass --registry-url");
        } else {
            try {
                RegistryClientConfig.from(serdeConfigs(config));
            } catch (InvalidConfigurationException e) {
                problems.addAll(e.problems());
            }
        }
    }

    /**
     * Kafka Streams properties: chat-bridge's defaults, then every Kafka setting as given (the registry and serde
     * settings left out), then the processing guarantee of {@link ChatBridgeConfig#PROCESSING_GUARANTEE}.
     */
    public static Properties streamsProperties(ChatBridgeConfig config) {
        Map<String, String> kafka = config.kafkaSettings();
        String guarantee = config.string(ChatBridgeConfig.PROCESSING_GUARANTEE);
        Properties props = StreamsProperties.defaults(
                kafka.getOrDefault(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID),
                kafka.getOrDefault(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, ""),
                StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee));
        props.putAll(clientProperties(config));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        return props;
    }

    /** Settings for plain Kafka clients (admin, producer, consumer): the Kafka settings without the serde ones. */
    public static Map<String, Object> clientProperties(ChatBridgeConfig config) {
        Map<String, Object> props = new LinkedHashMap<>();
        config.kafkaSettings().forEach((k, v) -> {
            if (!isSerdeKey(k) && !StreamsConfig.PROCESSING_GUARANTEE_CONFIG.equals(k)) {
                props.put(k, v);
            }
        });
        return props;
    }

    /**
     * Settings for the serdes and the registry client: every Kafka setting (they ignore what is not theirs), plus
     * {@link ChatBridgeConfig#REGISTRY_ALLOW_CLEARTEXT}.
     */
    public static Map<String, Object> serdeConfigs(ChatBridgeConfig config) {
        Map<String, Object> serde = new LinkedHashMap<>(config.kafkaSettings());
        serde.put(RegistryClientConfig.ALLOW_CLEARTEXT, config.bool(ChatBridgeConfig.REGISTRY_ALLOW_CLEARTEXT));
        return serde;
    }

    static boolean isSerdeKey(String key) {
        return key.startsWith("schema.registry.")
                || key.startsWith("basic.auth.")
                || key.startsWith("bearer.auth.")
                || RegistryClientConfig.DEFINITION.names().contains(key)
                || AvroSerdeConfig.DEFINITION.names().contains(key);
    }

    /**
     * The request policy of the {@code chat.policy.*} settings ({@link RequestPolicy#permitAll()} when none is set);
     * reads the token keys file when the token mode is on.
     *
     * @throws InvalidConfigurationException with one line per problem
     */
    public static RequestPolicy requestPolicy(ChatBridgeConfig config) {
        List<String> problems = new ArrayList<>();
        RequestPolicy policy = policy(config, problems);
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        return policy;
    }

    private static RequestPolicy policy(ChatBridgeConfig config, List<String> problems) {
        return collect(problems, () -> RequestPolicy.fromProperties(config.values()));
    }

    private static ApiKey apiKey(ChatBridgeConfig config, List<String> problems) {
        String file = config.string(API_KEY_FILE);
        String value = config.secret(API_KEY);
        if (blank(file) && value == null) {
            problems.add("no API key: set " + API_KEY_FILE + " to a file that holds the key (environment variable "
                    + ConfigLoader.envVarFor(API_KEY_FILE) + "=/path/to/key, preferred), or the key itself in the "
                    + "environment variable " + ConfigLoader.envVarFor(API_KEY) + " (" + API_KEY + ")");
            return null;
        }
        if (!blank(file) && value != null) {
            problems.add("both " + API_KEY_FILE + " and " + API_KEY + " are set: keep only one of them ("
                    + ConfigLoader.envVarFor(API_KEY_FILE) + " or " + ConfigLoader.envVarFor(API_KEY) + ")");
            return null;
        }
        try {
            return blank(file) ? ApiKey.of(value) : ApiKey.fromFile(Path.of(file.trim()));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            String setting = blank(file) ? API_KEY : API_KEY_FILE;
            problems.add(setting + ": " + e.getMessage());
            return null;
        }
    }

    private static void timeouts(ChatBridgeConfig config, EngineConfig engine, List<String> problems) {
        // chat.api.connect/first.byte.timeout.ms <= chat.api.attempt.timeout.ms: ChatClientConfig checks those.
        long attempt = config.longValue(API_ATTEMPT_TIMEOUT);
        if (engine != null && engine.attemptTimeout().toMillis() < attempt) {
            problems.add(EngineConfig.KEY_ATTEMPT_TIMEOUT + " ("
                    + engine.attemptTimeout().toMillis()
                    + ") must be at least " + API_ATTEMPT_TIMEOUT + " (" + attempt + "), or the safety net cancels "
                    + "attempts the API client would still finish: raise " + EngineConfig.KEY_ATTEMPT_TIMEOUT);
        }
        String given = config.kafkaSettings().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        if (given != null && !given.equals(config.string(ChatBridgeConfig.PROCESSING_GUARANTEE))) {
            problems.add("processing.guarantee=" + given + " is set but chat-bridge reads "
                    + ChatBridgeConfig.PROCESSING_GUARANTEE + ": set that instead ("
                    + ConfigLoader.envVarFor(ChatBridgeConfig.PROCESSING_GUARANTEE) + ")");
        }
    }

    private static ChatClientConfig clientConfig(
            ChatBridgeConfig config, String url, ApiKey key, int maxInFlight, List<String> problems) {
        ChatClientConfig.Builder b = ChatClientConfig.builder()
                .baseUrl(url)
                .apiKey(key)
                .connectTimeout(millis(config, API_CONNECT_TIMEOUT))
                .firstByteTimeout(millis(config, API_FIRST_BYTE_TIMEOUT))
                .idleTimeout(millis(config, API_IDLE_TIMEOUT))
                .attemptTimeout(millis(config, API_ATTEMPT_TIMEOUT))
                .maxInFlight(maxInFlight)
                .retryBrokenStreams(config.bool(ChatBridgeConfig.API_RETRY_BROKEN_STREAMS))
                .maxAnswerBytes(config.integer(ChatBridgeConfig.API_MAX_ANSWER_BYTES))
                .answerMemoryBytes(config.longValue(ChatBridgeConfig.API_ANSWER_MEMORY_BYTES));
        String store = config.string(ChatBridgeConfig.API_TRUSTSTORE_LOCATION);
        if (!blank(store)) {
            b.trustStore(new ChatClientConfig.TrustStore(
                    Path.of(store.trim()),
                    config.secret(ChatBridgeConfig.API_TRUSTSTORE_PASSWORD),
                    config.string(ChatBridgeConfig.API_TRUSTSTORE_TYPE)));
        }
        b.allowCleartext(config.bool(ChatBridgeConfig.API_ALLOW_CLEARTEXT));
        String certificate = config.string(ChatBridgeConfig.API_TLS_CLIENT_CERTIFICATE_FILE);
        String clientKey = config.string(ChatBridgeConfig.API_TLS_CLIENT_KEY_FILE);
        if (blank(certificate) != blank(clientKey)) {
            String missing = blank(certificate)
                    ? ChatBridgeConfig.API_TLS_CLIENT_CERTIFICATE_FILE
                    : ChatBridgeConfig.API_TLS_CLIENT_KEY_FILE;
            String given = blank(certificate)
                    ? ChatBridgeConfig.API_TLS_CLIENT_KEY_FILE
                    : ChatBridgeConfig.API_TLS_CLIENT_CERTIFICATE_FILE;
            problems.add(missing + " is not set but " + given + " is: mutual TLS needs both; set the other one too ("
                    + missing + "), or neither");
        } else if (!blank(certificate)) {
            b.clientCertificate(new ChatClientConfig.ClientCertificate(
                    Path.of(certificate.trim()),
                    Path.of(clientKey.trim()),
                    config.secret(ChatBridgeConfig.API_TLS_CLIENT_KEY_PASSWORD)));
        }
        return b.build();
    }

    private static Duration millis(ChatBridgeConfig config, String key) {
        return Duration.ofMillis(config.longValue(key));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
