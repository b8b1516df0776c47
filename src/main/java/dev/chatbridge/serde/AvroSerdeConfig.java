package dev.chatbridge.serde;

import java.util.Map;

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

    /** Reads the serde settings from Kafka-style configs; unknown keys are left to others. */
    public static AvroSerdeConfig from(Map<String, ?> configs) {
        return new AvroSerdeConfig(
                bool(configs, AUTO_REGISTER_SCHEMAS, true),
                bool(configs, USE_LATEST_VERSION, false),
                strategy(configs, KEY_SUBJECT_NAME_STRATEGY),
                strategy(configs, VALUE_SUBJECT_NAME_STRATEGY));
    }

    /** The strategy for keys or for values. */
    public SubjectNameStrategy strategy(boolean isKey) {
        return isKey ? keySubjectStrategy : valueSubjectStrategy;
    }

    private static boolean bool(Map<String, ?> configs, String key, boolean defaultValue) {
        Object value = configs.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String text = value.toString().trim();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new IllegalArgumentException("Invalid value '" + value + "' for " + key + ": use true or false");
    }

    private static SubjectNameStrategy strategy(Map<String, ?> configs, String key) {
        Object value = configs.get(key);
        if (value == null) {
            return SubjectNameStrategy.TOPIC_NAME;
        }
        if (value instanceof SubjectNameStrategy s) {
            return s;
        }
        if (value instanceof Class<?> c) {
            return SubjectNameStrategy.parse(key, c.getName());
        }
        return SubjectNameStrategy.parse(key, value.toString());
    }
}
