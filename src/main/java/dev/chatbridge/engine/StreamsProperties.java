package dev.chatbridge.engine;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Kafka Streams defaults for chat-bridge. Exactly-once ({@code exactly_once_v2}) is the default
 * because it is what makes "one outcome per request" hold across crashes; {@code at_least_once}
 * can be selected and then a crash may emit an outcome twice.
 *
 * <p>The producer's {@code transaction.timeout.ms} is raised from Kafka Streams' exactly-once
 * default (10 s) to {@value #DEFAULT_TRANSACTION_TIMEOUT_MS} ms so that a bounded backpressure
 * wait fits inside one transaction (see {@link EngineConfig#validateAgainst}). It must stay at
 * or below the broker's {@code transaction.max.timeout.ms} (15 minutes by default).
 */
public final class StreamsProperties {

    /** Kafka Streams' own default for the producer's transaction timeout under exactly-once. */
    static final long EOS_TRANSACTION_TIMEOUT_MS = 10_000L;

    /** The transaction timeout these defaults set. */
    public static final long DEFAULT_TRANSACTION_TIMEOUT_MS = 180_000L;

    private StreamsProperties() {}

    /**
     * Defaults for one instance; the caller adds or overrides anything else.
     *
     * @param applicationId     {@code application.id}: also the prefix of internal topics and the group
     * @param bootstrapServers  {@code bootstrap.servers}
     * @param exactlyOnce       true for {@code exactly_once_v2}, false for {@code at_least_once}
     */
    public static Properties defaults(String applicationId, String bootstrapServers, boolean exactlyOnce) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        if (exactlyOnce) {
            p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                    Long.toString(DEFAULT_TRANSACTION_TIMEOUT_MS));
        }
        return p;
    }

    /** Whether the properties select an exactly-once processing guarantee. */
    public static boolean isExactlyOnce(Map<?, ?> props) {
        Object guarantee = props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        return guarantee != null && guarantee.toString().startsWith("exactly_once");
    }
}
