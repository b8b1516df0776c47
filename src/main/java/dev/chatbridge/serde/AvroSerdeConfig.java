package dev.chatbridge.serde;

import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.SettingChecks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The serde's own settings, under the keys Confluent's Avro serde uses so that users recognise them. Registry
 * connection settings ({@code schema.registry.url}, credentials, TLS, timeouts) are read by the registry client from
 * the same map.
 *
 * @param autoRegisterSchemas {@code auto.register.schemas}: register the writer schema on first use (default true);
 *     when false the schema must already be registered
 * @param useLatestVersion {@code use.latest.version}: write with the id of the subject's latest version, which must be
 *     the writer schema itself (default false)
 * @param keySubjectStrategy {@code key.subject.name.strategy} (default TopicNameStrategy)
 * @param valueSubjectStrategy {@code value.subject.name.strategy} (default TopicNameStrategy)
 */
public record AvroSerdeConfig(
        boolean autoRegisterSchemas,
        boolean useLatestVersion,
        SubjectNameStrategy keySubjectStrategy,
        SubjectNameStrategy valueSubjectStrategy) {

    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";

    private static final ConfigDef.Validator STRATEGY = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                SubjectNameStrategy.parse(name, (String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "[TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy]";
        }
    };

    /** The one definition of the serde's settings: Confluent's keys and defaults. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    AUTO_REGISTER_SCHEMAS,
                    BOOLEAN,
                    true,
                    MEDIUM,
                    "Register the writer schema on first use; when false it must already be registered.")
            .define(
                    USE_LATEST_VERSION,
                    BOOLEAN,
                    false,
                    LOW,
                    "Write with the id of the subject's latest version, which must be the writer schema itself.")
            .define(
                    KEY_SUBJECT_NAME_STRATEGY,
                    STRING,
                    "TopicNameStrategy",
                    STRATEGY,
                    LOW,
                    "Subject of record keys: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy.")
            .define(
                    VALUE_SUBJECT_NAME_STRATEGY,
                    STRING,
                    "TopicNameStrategy",
                    STRATEGY,
                    LOW,
                    "Subject of record values: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy.");

    /**
     * Reads the serde settings ({@link #DEFINITION}) from Kafka-style configs; unknown keys are left to others.
     *
     * @throws InvalidConfigurationException one line per bad value
     */
    public static AvroSerdeConfig from(Map<String, ?> configs) {
        Map<String, Object> given = new HashMap<>();
        configs.forEach((key, value) -> {
            if (key != null && value != null) {
                given.put(
                        key,
                        value instanceof SubjectNameStrategy s
                                ? s.name()
                                : value instanceof Class<?> c ? c.getName() : value);
            }
        });
        List<String> problems = new ArrayList<>();
        Map<String, Object> v = SettingChecks.parse(DEFINITION, given, problems);
        InvalidConfigurationException.throwIfAny(problems);
        return new AvroSerdeConfig(
                (Boolean) v.get(AUTO_REGISTER_SCHEMAS),
                (Boolean) v.get(USE_LATEST_VERSION),
                SubjectNameStrategy.parse(KEY_SUBJECT_NAME_STRATEGY, (String) v.get(KEY_SUBJECT_NAME_STRATEGY)),
                SubjectNameStrategy.parse(VALUE_SUBJECT_NAME_STRATEGY, (String) v.get(VALUE_SUBJECT_NAME_STRATEGY)));
    }

    /** The strategy for keys or for values. */
    public SubjectNameStrategy strategy(boolean isKey) {
        return isKey ? keySubjectStrategy : valueSubjectStrategy;
    }
}
