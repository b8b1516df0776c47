package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.kafka.KafkaTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Makes sure the three topics exist before the service starts: reports the missing ones with the
 * fix, or creates them when {@code chat.topics.create=true}. Stateless; bounded by a timeout.
 */
final class TopicCheck {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TopicCheck() {
    }

    /**
     * @throws IllegalStateException with a message for the user when topics are missing and not
     *                               to be created, or Kafka cannot be reached in time
     */
    static void ensureTopics(ChatBridgeConfig config, EngineConfig engine, Map<String, Object> clientProps) {
        List<String> wanted = List.of(engine.requestsTopic(), engine.responsesTopic(), engine.deadLettersTopic());
        try (Admin admin = Admin.create(clientProps)) {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            List<String> missing = new ArrayList<>(wanted);
            missing.removeAll(existing);
            if (missing.isEmpty()) {
                return;
            }
            if (!config.bool(ChatBridgeConfig.TOPICS_CREATE)) {
                throw new IllegalStateException("topic(s) " + String.join(", ", missing) + " do not exist. Create them "
                        + "(keyed by conversation thread; partitions = the most instances that share the work), or "
                        + "let chat-bridge create them: " + ChatBridgeConfig.TOPICS_CREATE + "=true ("
                        + ConfigLoader.envVarFor(ChatBridgeConfig.TOPICS_CREATE) + "=true), with "
                        + ChatBridgeConfig.TOPICS_PARTITIONS + " and " + ChatBridgeConfig.TOPICS_REPLICATION_FACTOR);
            }
            int partitions = config.integer(ChatBridgeConfig.TOPICS_PARTITIONS);
            short replication = ((Number) config.get(ChatBridgeConfig.TOPICS_REPLICATION_FACTOR)).shortValue();
            List<NewTopic> topics = missing.stream()
                    .map(name -> new NewTopic(name, Optional.of(partitions), Optional.of(replication))).toList();
            try {
                admin.createTopics(topics).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("could not create topic(s) " + missing + " with " + partitions
                            + " partitions and replication factor " + replication + ": " + e.getCause().getMessage()
                            + " (see " + ChatBridgeConfig.TOPICS_REPLICATION_FACTOR + ")", e);
                }
            }
            Map<String, Integer> expected = new LinkedHashMap<>();
            missing.forEach(name -> expected.put(name, partitions));
            KafkaTopics.createAndAwait(admin, expected, TIMEOUT);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at bootstrap.servers=" + clientProps.get("bootstrap.servers")
                    + " did not answer within " + TIMEOUT.toSeconds() + " s", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the topics of Kafka at bootstrap.servers="
                    + clientProps.get("bootstrap.servers") + ": " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the topics", e);
        }
    }
}
