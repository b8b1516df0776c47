package dev.chatbridge.engine;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Kafka Streams defaults for chat-bridge. Exactly-once ({@code exactly_once_v2}) is the default because it is what
 * makes "one outcome per request" hold across crashes; {@code at_least_once} can be selected and then a crash may emit
 * an outcome twice.
 *
 * <p>The producer's {@code transaction.timeout.ms} keeps Kafka Streams' exactly-once default (10 s): no transaction
 * ever spans an API call, only a bounded backpressure wait (see {@link EngineConfig#validateAgainst}), and a short
 * timeout matters after a crash, when an instance that does not come back leaves a transaction that blocks
 * {@code read_committed} readers of its output partitions until the timeout aborts it.
 *
 * <p>{@code max.task.idle.ms} is -1 (no idling): every task of the topology reads one partition of one topic (the
 * requests, or the repartition topic), so there is nothing to wait for to keep several inputs in timestamp order. With
 * Kafka Streams' default (0) the stream thread still asks, on every loop, whether a task whose partition has no
 * buffered record may process, and Kafka Streams 4.4 formats a log text for it each time: 3 % of the bridge's CPU at L
 * = 1,024 (JFR, docs/benchmarks.md).
 */
public final class StreamsProperties {

    /** Kafka Streams' own default for the producer's transaction timeout under exactly-once. */
    static final long EOS_TRANSACTION_TIMEOUT_MS = 10_000L;

    private StreamsProperties() {}

    /**
     * Defaults for one instance; the caller adds or overrides anything else.
     *
     * @param applicationId {@code application.id}: also the prefix of internal topics and the group
     * @param bootstrapServers {@code bootstrap.servers}
     * @param exactlyOnce true for {@code exactly_once_v2}, false for {@code at_least_once}
     */
    public static Properties defaults(String applicationId, String bootstrapServers, boolean exactlyOnce) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, Long.toString(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
        return p;
    }

    /** Whether the properties select an exactly-once processing guarantee. */
    public static boolean isExactlyOnce(Map<?, ?> props) {
        Object guarantee = props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        return guarantee != null && guarantee.toString().startsWith("exactly_once");
    }
}
