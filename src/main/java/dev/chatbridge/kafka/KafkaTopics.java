package dev.chatbridge.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates topics and waits until the cluster describes them with every partition led.
 *
 * <p>Idempotent: a topic that already exists is accepted when its partition count is the one asked for, and rejected
 * with {@link IllegalStateException} otherwise. {@code describeTopics} right after {@code createTopics} can briefly
 * answer "unknown topic"; that answer is retried until the deadline. Stateless and thread-safe; the caller owns the
 * {@link Admin}.
 */
public final class KafkaTopics {

    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);

    private KafkaTopics() {}

    /**
     * Creates the topics (replication factor 1 unless the broker default says otherwise) and returns once all are
     * visible with a leader for every partition.
     *
     * @param admin an open admin client of the target cluster
     * @param partitionsByName topic name to partition count (at least 1)
     * @param timeout bound on the whole operation
     * @throws IllegalStateException when a topic exists with another partition count, or the topics are not ready
     *     within {@code timeout}
     */
    public static void createAndAwait(Admin admin, Map<String, Integer> partitionsByName, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(timeout, "timeout");
        if (partitionsByName.isEmpty()) {
            return;
        }
        List<NewTopic> newTopics = new ArrayList<>();
        partitionsByName.forEach((name, partitions) -> {
            if (partitions == null || partitions < 1) {
                throw new IllegalArgumentException("topic " + name + " needs at least 1 partition, was " + partitions);
            }
            newTopics.add(new NewTopic(name, Optional.of(partitions), Optional.empty()));
        });
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, KafkaFuture<Void>> created = admin.createTopics(newTopics).values();
        for (Map.Entry<String, KafkaFuture<Void>> entry : created.entrySet()) {
            try {
                entry.getValue().get(remainingMillis(deadline, partitionsByName, timeout), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "could not create topic " + entry.getKey() + ": " + e.getCause(), e);
                }
            } catch (TimeoutException e) {
                throw timedOut(partitionsByName, timeout, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topics " + partitionsByName.keySet(), e);
            }
        }
        awaitDescribed(admin, partitionsByName, deadline, timeout);
    }

    private static void awaitDescribed(Admin admin, Map<String, Integer> expected, long deadline, Duration timeout) {
        Exception last = null;
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(expected.keySet())
                        .allTopicNames()
                        .get(remainingMillis(deadline, expected, timeout), TimeUnit.MILLISECONDS);
                if (allLed(described)) {
                    checkPartitionCounts(described, expected);
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException(
                            "could not describe topics " + expected.keySet() + ": " + e.getCause(), e);
                }
                last = e;
            } catch (TimeoutException e) {
                throw timedOut(expected, timeout, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topics " + expected.keySet(), e);
            }
            if (System.nanoTime() + RETRY_PAUSE.toNanos() - deadline > 0) {
                throw timedOut(expected, timeout, last);
            }
            pause();
        }
    }

    private static boolean allLed(Map<String, TopicDescription> described) {
        return described.values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
    }

    private static void checkPartitionCounts(Map<String, TopicDescription> described, Map<String, Integer> expected) {
        expected.forEach((name, partitions) -> {
            int actual = described.get(name).partitions().size();
            if (actual != partitions) {
                throw new IllegalStateException("topic " + name + " already exists with " + actual
                        + " partitions, not the " + partitions + " asked for; delete it or use another name");
            }
        });
    }

    private static long remainingMillis(long deadline, Map<String, Integer> topics, Duration timeout) {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remaining <= 0) {
            throw timedOut(topics, timeout, null);
        }
        return remaining;
    }

    private static IllegalStateException timedOut(Map<String, Integer> topics, Duration timeout, Exception cause) {
        return new IllegalStateException("topics " + topics.keySet() + " were not ready within " + timeout, cause);
    }

    private static void pause() {
        try {
            Thread.sleep(RETRY_PAUSE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for topics", e);
        }
    }
}
