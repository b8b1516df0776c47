package dev.chatbridge.engine;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Tells the current id of a topic, so that a task can tell a topic that was deleted and created again (offsets start
 * from 0 again) from a replay of the same topic. The runner implements it with the Kafka admin client; {@link #UNKNOWN}
 * never knows (tests, tools).
 *
 * <p><b>Threading.</b> Called by stream threads; implementations are thread-safe and bounded in time.
 */
@FunctionalInterface
public interface TopicIdentity {

    /** Never knows a topic's id. */
    TopicIdentity UNKNOWN = topic -> Optional.empty();

    /** The topic's id, or empty when it cannot be told now. */
    Optional<String> idOf(String topic);

    /** How many partitions the topic has, or empty when it cannot be told now. */
    default OptionalInt partitionsOf(String topic) {
        return OptionalInt.empty();
    }
}
