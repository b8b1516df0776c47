package dev.chatbridge.serde;

import java.util.Locale;
import org.apache.avro.Schema;

/**
 * How a serializer names the registry subject a record's schema is registered under, with the same names and results as
 * Confluent's strategies.
 */
public enum SubjectNameStrategy {
    /** {@code <topic>-key} or {@code <topic>-value}: one schema lineage per topic (Confluent's default). */
    TOPIC_NAME("TopicNameStrategy") {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return topic + (isKey ? "-key" : "-value");
        }
    },
    /** The record's full name: one lineage per record type, shared by every topic. */
    RECORD_NAME("RecordNameStrategy") {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return schema.getFullName();
        }
    },
    /** {@code <topic>-<record full name>}: several record types per topic, one lineage each. */
    TOPIC_RECORD_NAME("TopicRecordNameStrategy") {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return topic + "-" + schema.getFullName();
        }
    };

    private static final String CONFLUENT_PACKAGE = "io.confluent.kafka.serializers.subject.";

    private final String confluentName;

    SubjectNameStrategy(String confluentName) {
        this.confluentName = confluentName;
    }

    /** The subject for a record of this schema written to the topic. */
    public abstract String subject(String topic, boolean isKey, Schema schema);

    /**
     * Parses a configured strategy: Confluent's class name
     * ({@code io.confluent.kafka.serializers.subject.TopicNameStrategy}), its simple name ({@code TopicNameStrategy})
     * or this enum's name ({@code TOPIC_NAME}).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static SubjectNameStrategy parse(String key, String value) {
        String trimmed = value.trim();
        for (SubjectNameStrategy strategy : values()) {
            if (trimmed.equals(strategy.confluentName)
                    || trimmed.equals(CONFLUENT_PACKAGE + strategy.confluentName)
                    || trimmed.toUpperCase(Locale.ROOT).equals(strategy.name())) {
                return strategy;
            }
        }
        throw new IllegalArgumentException("Invalid value '" + value + "' for " + key
                + ": use TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy"
                + " (Confluent's class names under " + CONFLUENT_PACKAGE + " are accepted too)");
    }
}
