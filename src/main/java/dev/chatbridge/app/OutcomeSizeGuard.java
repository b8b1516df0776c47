package dev.chatbridge.app;

import dev.chatbridge.engine.Sha256;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The largest outcome value each output topic takes, lowered when Kafka refuses a record as too large. The chat-bridge
 * engine reads {@link #maxValueBytes} as its budget per topic (it serializes outcomes itself, and its sinks write
 * bytes). For topologies whose sinks serialize, {@link #wrap} refuses an outcome that is too large while Kafka Streams
 * serializes it, before the producer sees it: under exactly-once a record the producer or the broker refuses puts the
 * whole transaction in an abortable error state, so a dead letter can only replace an outcome that never reached the
 * producer. {@link OversizeOutcomeHandler#handleSerializationError} then writes the minimal dead letter in the same,
 * healthy transaction.
 *
 * <p>Only {@link Serializer#serialize(String, Headers, Object)}, the variant Kafka Streams' record collector calls for
 * sink records, is guarded; {@link Serializer#serialize(String, Object)} (what the engine uses to measure an outcome)
 * returns the bytes whatever their size. Limits are per topic, start at {@link OutputBudget} minus
 * {@link OutputBudget#KEY_AND_HEADERS_MARGIN}, and are lowered by {@link #refused} when Kafka refuses a smaller record
 * than expected. Thread-safe.
 */
public final class OutcomeSizeGuard {

    private final ConcurrentMap<String, Integer> maxValueBytes = new ConcurrentHashMap<>();
    private final AtomicInteger refusalsToRetry = new AtomicInteger();

    /** A guard with the given largest value per topic; topics not named are not guarded. */
    public OutcomeSizeGuard(Map<String, Integer> maxValueBytesByTopic) {
        maxValueBytes.putAll(maxValueBytesByTopic);
    }

    /** A guard for the output topics with the budget of the streams properties (see {@link OutputBudget#of(Map)}). */
    public static OutcomeSizeGuard forOutputs(Map<?, ?> streamsProps, String... topics) {
        int maxValue = Math.max(1, OutputBudget.of(streamsProps) - OutputBudget.KEY_AND_HEADERS_MARGIN);
        Map<String, Integer> limits = new ConcurrentHashMap<>();
        for (String topic : topics) {
            limits.put(topic, maxValue);
        }
        return new OutcomeSizeGuard(limits);
    }

    /** The largest value published to {@code topic}, or {@link Integer#MAX_VALUE} when it is not guarded. */
    public int maxValueBytes(String topic) {
        return maxValueBytes.getOrDefault(topic, Integer.MAX_VALUE);
    }

    /** Kafka refused a value of {@code size} bytes for {@code topic}: values that large are refused from now on. */
    public void refused(String topic, int size) {
        maxValueBytes.computeIfPresent(topic, (t, limit) -> Math.min(limit, Math.max(1, size - 1)));
    }

    /**
     * Kafka refused an outcome inside an exactly-once transaction, which is therefore lost: the stream thread fails,
     * and {@link #takeRefusalToRetry()} tells its uncaught-exception handler to replace it, so the input is read again
     * from the last commit and this guard, now lower, replaces the outcome by a dead letter.
     */
    void refusedInTransaction(String topic, int size) {
        refused(topic, size);
        refusalsToRetry.incrementAndGet();
    }

    /** True once per {@link #refusedInTransaction}: a stream thread failed for it and should be replaced. */
    public boolean takeRefusalToRetry() {
        return refusalsToRetry.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    /** The serde with a guarded serializer; the deserializer is unchanged. */
    public <T> Serde<T> wrap(Serde<T> serde) {
        Serializer<T> inner = serde.serializer();
        Serializer<T> guarded = new Serializer<>() {
            @Override
            public void configure(Map<String, ?> configs, boolean isKey) {
                inner.configure(configs, isKey);
            }

            @Override
            public byte[] serialize(String topic, T data) {
                return inner.serialize(topic, data);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, T data) {
                byte[] bytes = inner.serialize(topic, headers, data);
                int limit = maxValueBytes(topic);
                if (bytes != null && bytes.length > limit) {
                    throw new TooLargeException(topic, bytes, limit);
                }
                return bytes;
            }

            @Override
            public void close() {
                inner.close();
            }
        };
        return Serdes.serdeFrom(guarded, serde.deserializer());
    }

    /** An outcome value over its topic's limit, refused before it reached the producer. */
    public static final class TooLargeException extends RecordTooLargeException {

        private static final long serialVersionUID = 1L;

        private final int size;
        private final int limit;
        private final String sha256;

        TooLargeException(String topic, byte[] value, int limit) {
            super("The serialized value for topic " + Objects.requireNonNull(topic, "topic") + " is " + value.length
                    + " bytes, over chat-bridge's output limit of " + limit + " bytes (the smallest of the producer's "
                    + "max.request.size and the topic's max.message.bytes, less " + OutputBudget.KEY_AND_HEADERS_MARGIN
                    + " bytes for key and headers)");
            this.size = value.length;
            this.limit = limit;
            this.sha256 = Sha256.hex(value);
        }

        /** Size of the refused value in bytes. */
        public int size() {
            return size;
        }

        /** The limit it broke. */
        public int limit() {
            return limit;
        }

        /** Lowercase hex SHA-256 of the refused value. */
        public String sha256() {
            return sha256;
        }
    }
}
