package dev.chatbridge.cli;

import dev.chatbridge.app.OutputBudget;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.ServiceSettings;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.kafka.KafkaTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the three topics exist before the service starts (reports the missing ones with the fix, or creates them
 * when {@code chat.topics.create=true}) and that their size limits fit {@code chat.response.max.bytes}. Stateless;
 * bounded by a timeout.
 */
final class TopicCheck {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(TopicCheck.class);

    private TopicCheck() {}

    /**
     * @throws IllegalStateException with a message for the user when topics are missing and not to be created, or Kafka
     *     cannot be reached in time
     */
    static void ensureTopics(ChatBridgeConfig config, EngineConfig engine, Map<String, Object> clientProps) {
        List<String> wanted =
                new ArrayList<>(List.of(engine.requestsTopic(), engine.responsesTopic(), engine.deadLettersTopic()));
        String auditTopic = ServiceSettings.audit(config).topic();
        if (auditTopic != null) {
            wanted.add(auditTopic);
        }
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
                    .map(name -> new NewTopic(name, Optional.of(partitions), Optional.of(replication)))
                    .toList();
            try {
                admin.createTopics(topics).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "could not create topic(s) " + missing + " with " + partitions
                                    + " partitions and replication factor " + replication + ": "
                                    + e.getCause().getMessage()
                                    + " (see " + ChatBridgeConfig.TOPICS_REPLICATION_FACTOR + ")",
                            e);
                }
            }
            Map<String, Integer> expected = new LinkedHashMap<>();
            missing.forEach(name -> expected.put(name, partitions));
            KafkaTopics.createAndAwait(admin, expected, TIMEOUT);
        } catch (TimeoutException e) {
            throw unreachable(clientProps, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot list the topics of Kafka at bootstrap.servers=" + clientProps.get("bootstrap.servers")
                            + ": " + e.getCause().getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the topics", e);
        }
    }

    /**
     * Reads the topics' {@code max.message.bytes} and refuses size settings that cannot all hold:
     * {@code chat.response.max.bytes} plus {@link OutputBudget#KEY_AND_HEADERS_MARGIN} must fit the producer's
     * {@code max.request.size} and both output topics' {@code max.message.bytes}.
     *
     * @return {@code max.message.bytes} of the responses and dead-letters topics, by name
     * @throws InvalidConfigurationException one line per limit that is too small, naming the fix
     * @throws IllegalStateException when Kafka cannot be reached in time
     */
    static Map<String, Integer> checkSizes(
            EngineConfig engine, Properties streamsProps, Map<String, Object> clientProps) {
        List<String> names = List.of(engine.requestsTopic(), engine.responsesTopic(), engine.deadLettersTopic());
        Map<String, Integer> limits = new LinkedHashMap<>();
        try (Admin admin = Admin.create(clientProps)) {
            List<ConfigResource> resources = names.stream()
                    .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name))
                    .toList();
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(resources).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            for (ConfigResource resource : resources) {
                ConfigEntry entry = configs.get(resource).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
                if (entry != null && entry.value() != null) {
                    limits.put(resource.name(), Integer.parseInt(entry.value()));
                }
            }
        } catch (TimeoutException e) {
            throw unreachable(clientProps, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot read the configuration of topics " + names + " from Kafka at " + "bootstrap.servers="
                            + clientProps.get("bootstrap.servers") + ": "
                            + e.getCause().getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the topics", e);
        }
        LOG.info(
                "max.message.bytes of the topics: {}; producer max.request.size {}; chat.response.max.bytes {}",
                limits,
                OutputBudget.producerMaxRequestSize(streamsProps),
                engine.maxResponseBytes());
        limits.remove(engine.requestsTopic());
        List<String> problems = new ArrayList<>(OutputBudget.problems(engine.maxResponseBytes(), streamsProps, limits));
        problems.addAll(OutputBudget.requestProblems(engine.maxRequestBytes(), streamsProps));
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        return limits;
    }

    private static IllegalStateException unreachable(Map<String, Object> clientProps, TimeoutException e) {
        return new IllegalStateException(
                "Kafka at bootstrap.servers=" + clientProps.get("bootstrap.servers") + " did not answer within "
                        + TIMEOUT.toSeconds() + " s",
                e);
    }
}
