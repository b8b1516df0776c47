package dev.chatbridge.app;

import dev.chatbridge.engine.TopicIdentity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells topic ids with the Kafka admin client, so that a task notices an input topic that was deleted and created
 * again. The admin client is created on first use (tasks with a high-water mark ask once per initialisation) and each
 * answer is waited for at most {@value #TIMEOUT_SECONDS} s; no answer means "unknown", and the task keeps its mark.
 *
 * <p><b>Threading.</b> Thread-safe; called by stream threads.
 */
final class AdminTopicIdentity implements TopicIdentity, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminTopicIdentity.class);
    static final long TIMEOUT_SECONDS = 5;

    private final Map<String, Object> adminConfigs;
    private Admin admin;
    private boolean closed;

    AdminTopicIdentity(Properties streamsProps) {
        this.adminConfigs = new StreamsConfig(streamsProps).getAdminConfigs("chat-bridge-topic-ids");
    }

    @Override
    public Optional<String> idOf(String topic) {
        return describe(topic).map(d -> d.topicId().toString());
    }

    @Override
    public OptionalInt partitionsOf(String topic) {
        return describe(topic).map(d -> OptionalInt.of(d.partitions().size())).orElse(OptionalInt.empty());
    }

    private Optional<TopicDescription> describe(String topic) {
        Admin client = admin();
        if (client == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(client.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(topic));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("Could not describe topic {}: {}", topic, e.toString());
            return Optional.empty();
        }
    }

    private synchronized Admin admin() {
        if (admin == null && !closed) {
            admin = Admin.create(adminConfigs);
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
