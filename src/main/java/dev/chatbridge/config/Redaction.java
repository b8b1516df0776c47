package dev.chatbridge.config;

import dev.chatbridge.transport.SafeUrls;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The effective configuration as text for the startup log, with every secret replaced by {@value #REDACTED}. A value is
 * secret when its key is
 *
 * <ul>
 *   <li>one of chat-bridge's settings of type PASSWORD (only those: chat-bridge's other settings are never secret,
 *       whatever their names);
 *   <li>a PASSWORD setting in Kafka's own definitions of the producer, consumer, admin client and Streams configs
 *       ({@link #kafkaPasswordKeys()}), also under the prefixes Kafka Streams and the registry client use to pass
 *       settings on ({@link #CLIENT_PREFIXES}), so a password key a future Kafka adds is redacted without a change
 *       here;
 *   <li>or, as a fallback for keys no definition here knows (serde, registry, plugin settings), a key that names a
 *       password, passphrase, secret, token, JAAS config, user info, credentials or a key.
 * </ul>
 *
 * In every other value, each URL loses its user info, its query values and its fragment
 * ({@link SafeUrls#scrub(String)}). Stateless.
 */
public final class Redaction {

    /** What a secret value is shown as. */
    public static final String REDACTED = SafeUrls.REDACTED;

    /**
     * Prefixes under which a Kafka client setting is passed on: Kafka Streams' per-client prefixes, and
     * {@code schema.registry.} for the TLS settings of Confluent's registry client.
     */
    public static final List<String> CLIENT_PREFIXES = List.of(
            StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.CONSUMER_PREFIX,
            StreamsConfig.ADMIN_CLIENT_PREFIX,
            StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX,
            "schema.registry.");

    private static final Pattern SECRET_KEY = Pattern.compile(".*(password|passphrase|secret|token|jaas|user\\.info"
            + "|credentials(?!\\.source)|private\\.key|\\.key$|api\\.key).*");
    private static final Set<String> KAFKA_PASSWORD_KEYS = kafkaPasswords();

    private Redaction() {}

    /** Whether the value of {@code key} is a secret. */
    public static boolean isSecret(String key) {
        ConfigDef.ConfigKey defined = ChatBridgeConfig.DEFINITION.configKeys().get(key);
        if (defined != null) {
            return defined.type == ConfigDef.Type.PASSWORD;
        }
        return KAFKA_PASSWORD_KEYS.contains(key)
                || SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    /**
     * The keys of type PASSWORD in Kafka's producer, consumer, admin client and Streams definitions, each also under
     * every prefix of {@link #CLIENT_PREFIXES}; sorted.
     */
    public static Set<String> kafkaPasswordKeys() {
        return KAFKA_PASSWORD_KEYS;
    }

    /** {@code value} as it may be shown for {@code key}. */
    public static String show(String key, Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Password || isSecret(key)) {
            return REDACTED;
        }
        return SafeUrls.scrub(value.toString());
    }

    /** Every setting, one {@code key = value} line each, sorted, secrets redacted. */
    public static String effectiveConfiguration(ChatBridgeConfig config) {
        Map<String, String> lines = new TreeMap<>();
        config.values().forEach((k, v) -> lines.put(k, show(k, v)));
        config.kafkaSettings().forEach((k, v) -> lines.put(k, show(k, v)));
        StringBuilder sb = new StringBuilder();
        lines.forEach(
                (k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    private static Set<String> kafkaPasswords() {
        Set<String> keys = new TreeSet<>();
        for (ConfigDef definition : List.of(
                ProducerConfig.configDef(),
                ConsumerConfig.configDef(),
                AdminClientConfig.configDef(),
                StreamsConfig.configDef())) {
            definition.configKeys().values().stream()
                    .filter(key -> key.type == ConfigDef.Type.PASSWORD)
                    .forEach(key -> keys.add(key.name));
        }
        Set<String> prefixed = new TreeSet<>(keys);
        for (String prefix : CLIENT_PREFIXES) {
            keys.forEach(key -> prefixed.add(prefix + key));
        }
        return Collections.unmodifiableSet(prefixed);
    }
}
