package dev.chatbridge.app;

import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.engine.EngineConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The largest record chat-bridge can publish: the smallest of the producer's {@code max.request.size} (as Kafka Streams
 * will configure its producers) and the {@code max.message.bytes} of the output topics. Stateless.
 */
public final class OutputBudget {

    /** Room left for the key, the headers and the record and batch overhead on top of an event's value. */
    public static final int KEY_AND_HEADERS_MARGIN = 8 * 1024;

    /** The producer's own default {@code max.request.size}. */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

    private static final String PRODUCER_MAX_REQUEST_SIZE =
            StreamsConfig.PRODUCER_PREFIX + ProducerConfig.MAX_REQUEST_SIZE_CONFIG;

    /**
     * Internal streams-properties key: the output topics' {@code max.message.bytes} as {@code topic=bytes,topic=bytes},
     * read at startup by the {@code run} command's topic check.
     */
    public static final String TOPIC_LIMITS_CONFIG = "chat.bridge.internal.topic.max.message.bytes";

    private OutputBudget() {}

    /**
     * The effective maximum record size for streams properties that may carry the topics' limits under
     * {@link #TOPIC_LIMITS_CONFIG} (the producer's limit alone when they do not).
     */
    public static int of(Map<?, ?> streamsProps) {
        return of(streamsProps, topicLimits(streamsProps));
    }

    /** The topics' limits carried under {@link #TOPIC_LIMITS_CONFIG}; empty when absent. */
    public static Map<String, Integer> topicLimits(Map<?, ?> streamsProps) {
        Map<String, Integer> limits = new LinkedHashMap<>();
        Object value = streamsProps.get(TOPIC_LIMITS_CONFIG);
        if (value != null && !value.toString().isBlank()) {
            for (String entry : value.toString().split(",")) {
                int eq = entry.lastIndexOf('=');
                limits.put(
                        entry.substring(0, eq).trim(),
                        Integer.parseInt(entry.substring(eq + 1).trim()));
            }
        }
        return limits;
    }

    /** A copy of {@code streamsProps} that carries {@code topicLimits} under {@link #TOPIC_LIMITS_CONFIG}. */
    public static Properties withTopicLimits(Properties streamsProps, Map<String, Integer> topicLimits) {
        Properties copy = new Properties();
        copy.putAll(streamsProps);
        copy.put(
                TOPIC_LIMITS_CONFIG,
                topicLimits.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(",")));
        return copy;
    }

    /**
     * The effective maximum record size in bytes (key, value, headers and overhead together).
     *
     * @param streamsProps the Kafka Streams properties
     * @param topicLimits {@code max.message.bytes} per output topic (may be empty when unknown)
     */
    public static int of(Map<?, ?> streamsProps, Map<String, Integer> topicLimits) {
        int budget = producerMaxRequestSize(streamsProps);
        for (int limit : topicLimits.values()) {
            budget = Math.min(budget, limit);
        }
        return budget;
    }

    /**
     * The producer's {@code max.request.size} as Kafka Streams configures it: {@code producer.max.request.size}, else
     * {@code max.request.size}, else the producer default.
     */
    public static int producerMaxRequestSize(Map<?, ?> streamsProps) {
        Object value = streamsProps.get(PRODUCER_MAX_REQUEST_SIZE);
        if (value == null) {
            value = streamsProps.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        }
        if (value == null) {
            return DEFAULT_MAX_REQUEST_SIZE;
        }
        return value instanceof Number n
                ? n.intValue()
                : Integer.parseInt(value.toString().trim());
    }

    /** The key under which the producer's limit is set: the prefixed one when present, else the plain one. */
    static String producerKeyInUse(Map<?, ?> streamsProps) {
        return streamsProps.containsKey(PRODUCER_MAX_REQUEST_SIZE)
                ? PRODUCER_MAX_REQUEST_SIZE
                : ProducerConfig.MAX_REQUEST_SIZE_CONFIG;
    }

    /**
     * The rule {@code chat.response.max.bytes + KEY_AND_HEADERS_MARGIN <= every limit}: one line per limit it breaks,
     * naming the keys, their values and the fix; empty when it holds.
     *
     * @param maxResponseBytes {@code chat.response.max.bytes}
     * @param streamsProps the Kafka Streams properties (for the producer's limit)
     * @param topicLimits {@code max.message.bytes} of each output topic, by topic name
     */
    public static List<String> problems(
            int maxResponseBytes, Map<?, ?> streamsProps, Map<String, Integer> topicLimits) {
        List<String> problems = new ArrayList<>();
        long needed = (long) maxResponseBytes + KEY_AND_HEADERS_MARGIN;
        int producer = producerMaxRequestSize(streamsProps);
        String producerKey = producerKeyInUse(streamsProps);
        if (needed > producer) {
            problems.add(line(
                    maxResponseBytes,
                    producerKey + "=" + producer + " (the producer's request limit)",
                    producer,
                    "raise " + producerKey + " (" + ConfigLoader.envVarFor(producerKey) + ") to at least " + needed));
        }
        topicLimits.forEach((topic, limit) -> {
            if (needed > limit) {
                problems.add(line(
                        maxResponseBytes,
                        "max.message.bytes=" + limit + " of topic " + topic,
                        limit,
                        "raise the topic's max.message.bytes to at least " + needed + " (kafka-configs --alter "
                                + "--entity-type topics --entity-name " + topic + " --add-config max.message.bytes="
                                + needed + ")"));
            }
        });
        return problems;
    }

    /** Room a pending-table record needs besides the request bytes: its key (thread key), ids, note and raw key. */
    public static final int PENDING_ENTRY_MARGIN = 16 * 1024;

    /**
     * Why accepted requests might not fit the producer: the pending table's changelog (and, with REKEY, the repartition
     * topic) carries each request's bytes, up to {@code chat.request.max.bytes}, plus {@link #PENDING_ENTRY_MARGIN}.
     * One line per problem, naming the keys and the fix; empty when they fit.
     */
    public static List<String> requestProblems(int maxRequestBytes, Map<?, ?> streamsProps) {
        long needed = (long) maxRequestBytes + PENDING_ENTRY_MARGIN;
        int producer = producerMaxRequestSize(streamsProps);
        if (needed <= producer) {
            return List.of();
        }
        String producerKey = producerKeyInUse(streamsProps);
        return List.of(EngineConfig.KEY_MAX_REQUEST_BYTES + "=" + maxRequestBytes + " plus " + PENDING_ENTRY_MARGIN
                + " bytes for the pending entry's key and fields does not fit " + producerKey + "=" + producer
                + " (the pending table's changelog carries each accepted request): lower "
                + EngineConfig.KEY_MAX_REQUEST_BYTES + " (" + ConfigLoader.envVarFor(EngineConfig.KEY_MAX_REQUEST_BYTES)
                + ") to at most " + Math.max(0, producer - PENDING_ENTRY_MARGIN) + ", or raise " + producerKey + " ("
                + ConfigLoader.envVarFor(producerKey) + ") to at least " + needed);
    }

    private static String line(int maxResponseBytes, String limitDescription, int limit, String raise) {
        return EngineConfig.KEY_MAX_RESPONSE_BYTES + "=" + maxResponseBytes + " plus " + KEY_AND_HEADERS_MARGIN
                + " bytes for key and headers does not fit " + limitDescription + ": lower "
                + EngineConfig.KEY_MAX_RESPONSE_BYTES
                + " (" + ConfigLoader.envVarFor(EngineConfig.KEY_MAX_RESPONSE_BYTES) + ") to at most "
                + Math.max(0, limit - KEY_AND_HEADERS_MARGIN)
                + ", or " + raise;
    }
}
