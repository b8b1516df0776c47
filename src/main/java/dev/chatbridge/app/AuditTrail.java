package dev.chatbridge.app;

import dev.chatbridge.engine.AuditEvent;
import dev.chatbridge.engine.AuditSink;
import dev.chatbridge.engine.RateLimitedLog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: one JSON line per call on the dedicated logger {@value #LOGGER} (INFO), and, when an audit topic is
 * set, the same JSON as a record of that topic, keyed by request id.
 *
 * <p><b>Why a producer of its own.</b> An audit event records a call that was made, whether or not the transaction that
 * publishes its outcome commits: a crash after the call and before the commit aborts the outcome (it is called again),
 * but the first call did happen. So the events go through a separate idempotent producer ({@code acks=all}), not the
 * Streams transaction: every call has exactly one event, delivered at least once (idempotence removes the producer's
 * own retries' duplicates).
 *
 * <p><b>Bounds.</b> {@link #record} is called on Netty threads and must not block: the producer's buffer is bounded
 * ({@code buffer.memory}), {@code max.block.ms} is 100 ms and the topic's metadata is fetched at start, so a send waits
 * only when the buffer is full; an event that cannot be sent is counted ({@code chat.bridge.audit.dropped}) and logged
 * at most once per 10 s (the log line is written regardless). Thread-safe.
 */
public final class AuditTrail implements AuditSink, AutoCloseable {

    /** The logger of audit events. */
    public static final String LOGGER = "chat.bridge.audit";

    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);

    private final boolean log;
    private final String topic;
    private final Producer<String, byte[]> producer;
    private final Runnable dropped;
    private final RateLimitedLog dropLog = new RateLimitedLog(10, TimeUnit.SECONDS);

    private AuditTrail(boolean log, String topic, Producer<String, byte[]> producer, Runnable dropped) {
        this.log = log;
        this.topic = topic;
        this.producer = producer;
        this.dropped = Objects.requireNonNull(dropped, "dropped");
    }

    /**
     * A trail to the log (when {@code log}) and to {@code topic} (when not null), with a producer built from the
     * service's Kafka client settings.
     *
     * @throws IllegalStateException when the audit topic's metadata cannot be fetched in 30 s
     */
    public static AuditTrail create(boolean log, String topic, Properties clientSettings, Runnable dropped) {
        if (topic == null) {
            return new AuditTrail(log, null, null, dropped);
        }
        Map<String, Object> props = new HashMap<>();
        clientSettings.forEach((k, v) -> props.put(k.toString(), v));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 100);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "chat-bridge-audit");
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        Producer<String, byte[]> producer =
                new KafkaProducer<>(producerOnly(props), new StringSerializer(), new ByteArraySerializer());
        // Fetch the metadata now, so that sends never wait for it (each try waits max.block.ms).
        long deadline = System.nanoTime() + METADATA_TIMEOUT.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                producer.partitionsFor(topic);
                last = null;
                break;
            } catch (RuntimeException e) {
                last = e;
            }
        }
        if (last != null) {
            producer.close(Duration.ZERO);
            throw new IllegalStateException(
                    "cannot reach the audit topic " + topic + " within "
                            + METADATA_TIMEOUT.toSeconds() + " s: create it (or set chat.topics.create=true), or unset "
                            + "chat.audit.topic: " + last,
                    last);
        }
        return new AuditTrail(log, topic, producer, dropped);
    }

    /** A trail to the log only (tests, tools). */
    public static AuditTrail logOnly() {
        return new AuditTrail(true, null, null, () -> {});
    }

    @Override
    public void record(AuditEvent event) {
        String json;
        try {
            json = AuditJson.of(event);
        } catch (RuntimeException e) {
            LOG.error("an audit event could not be written as JSON (a bug)", e);
            dropped.run();
            return;
        }
        if (log) {
            AUDIT.info(json);
        }
        if (producer != null) {
            try {
                producer.send(
                        new ProducerRecord<>(topic, event.requestId(), json.getBytes(StandardCharsets.UTF_8)),
                        (metadata, error) -> {
                            if (error != null) {
                                drop(error);
                            }
                        });
            } catch (RuntimeException e) {
                drop(e);
            }
        }
    }

    private void drop(Exception error) {
        dropped.run();
        long heldBack = dropLog.tryAcquire();
        if (heldBack >= 0) {
            LOG.warn(
                    "An audit event could not be sent to {} ({} more since the last such line); the audit log "
                            + "line was written: {}",
                    topic,
                    heldBack,
                    error.toString());
        }
    }

    /** Flushes and closes the producer, waiting at most 10 s. */
    @Override
    public void close() {
        if (producer != null) {
            producer.close(CLOSE_TIMEOUT);
        }
    }

    /** Only the keys a producer knows (the client settings also carry Streams and consumer keys). */
    private static Map<String, Object> producerOnly(Map<String, Object> props) {
        Map<String, Object> out = new HashMap<>();
        props.forEach((k, v) -> {
            if (ProducerConfig.configNames().contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }
}
