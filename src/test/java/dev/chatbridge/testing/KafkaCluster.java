package dev.chatbridge.testing;

import dev.chatbridge.kafka.KafkaTopics;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;

/**
 * One test's view of the shared Kafka cluster: where it is, and names no other test uses.
 *
 * <p>Names are {@code <prefix>-<test class and method>-<run id>-<counter>}, in the characters Kafka allows
 * ({@code [a-zA-Z0-9-]}, no dots or underscores, which Kafka treats as equal in metric names) and short enough for a
 * topic. The run id keeps reruns against a long-lived external cluster apart. Thread-safe.
 */
public final class KafkaCluster {

    private static final String RUN_ID =
            Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36, 36 * 36 * 36 * 36), 36);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final int MAX_TEST_PART = 80;
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);

    private final SharedKafka shared;
    private final String testPart;

    KafkaCluster(SharedKafka shared, String testName) {
        this.shared = shared;
        this.testPart = sanitize(testName);
    }

    /** {@code host:port,...} for clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return shared.bootstrapServers();
    }

    /** A topic name used by no other test or call: {@code prefix} plus a test-derived suffix. */
    public String uniqueTopic(String prefix) {
        return uniqueName(prefix);
    }

    /** A name (application id, group id, transactional id, topic) used by no other test or call. */
    public String uniqueName(String prefix) {
        String cleanPrefix = sanitize(Objects.requireNonNull(prefix, "prefix"));
        return cleanPrefix + "-" + testPart + "-" + RUN_ID + "-" + COUNTER.incrementAndGet();
    }

    /** Creates the topics and waits until every partition has a leader (at most 30 s). */
    public void createTopics(Map<String, Integer> partitionsByName) {
        KafkaTopics.createAndAwait(shared.admin(), partitionsByName, TOPIC_TIMEOUT);
    }

    /** Creates a {@link #uniqueTopic} with the given partitions, waits for it, and returns its name. */
    public String createUniqueTopic(String prefix, int partitions) {
        String topic = uniqueTopic(prefix);
        createTopics(Map.of(topic, partitions));
        return topic;
    }

    /** The run's shared admin client; the extension closes it, tests must not. */
    public Admin adminClient() {
        return shared.admin();
    }

    static String sanitize(String raw) {
        String clean =
                raw.replaceAll("[^A-Za-z0-9-]+", "-").replaceAll("-{2,}", "-").replaceAll("^-|-$", "");
        if (clean.length() > MAX_TEST_PART) {
            clean = clean.substring(0, MAX_TEST_PART);
        }
        return clean.isEmpty() ? "x" : clean.toLowerCase(Locale.ROOT);
    }
}
