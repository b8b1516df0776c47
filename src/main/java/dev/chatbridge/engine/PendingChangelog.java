package dev.chatbridge.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What tools outside the engine need to know about the pending table's changelog: its topic, the internal topics of the
 * topology, and which of its records are accepted requests.
 *
 * <p>Kafka Streams names a store's changelog {@code <application.id>-<store>-changelog} and a repartition topic
 * {@code <application.id>-<name>-repartition}. Every key of the pending table is an accepted input that has no
 * published outcome yet ({@link PendingEntry}: a request, or a refused, undecodable or parked input), except the task's
 * {@link HighWaterMark}, which lives in the same table under its own key and is bookkeeping, not a request.
 */
public final class PendingChangelog {

    private PendingChangelog() {}

    /** The changelog topic of the pending table of {@code applicationId}. */
    public static String topic(String applicationId) {
        return applicationId + "-" + ChatBridgeTopology.PENDING_STORE + "-changelog";
    }

    /**
     * Every internal topic the topology can have for {@code applicationId}: the pending table's changelog and, with
     * {@code chat.input.keying=REKEY}, the repartition topic.
     */
    public static Set<String> internalTopics(String applicationId) {
        return Set.of(topic(applicationId), applicationId + "-" + ChatBridgeTopology.REPARTITION_NAME + "-repartition");
    }

    /** Whether a key of the pending table is the high-water mark rather than an accepted request. */
    public static boolean isHighWaterMark(byte[] key) {
        return key != null && Arrays.equals(key, HighWaterMark.KEY.get());
    }

    /**
     * Counts the live accepted requests in a changelog read from its beginning: the latest record per key wins, a
     * tombstone (null value) removes the key, the high-water mark is not counted. Keeps one copy of each live key. Not
     * thread-safe.
     */
    public static final class Tally {
        private final Map<Integer, Set<ByteBuffer>> live = new HashMap<>();

        /**
         * Applies one changelog record, in offset order within its partition.
         *
         * @param partition the record's partition
         * @param key the record's key (a pending-table key)
         * @param tombstone whether the value was null (the entry was deleted)
         */
        public void record(int partition, byte[] key, boolean tombstone) {
            if (key == null || isHighWaterMark(key)) {
                return;
            }
            ByteBuffer k = ByteBuffer.wrap(key.clone());
            if (tombstone) {
                Set<ByteBuffer> keys = live.get(partition);
                if (keys != null) {
                    keys.remove(k);
                }
            } else {
                live.computeIfAbsent(partition, p -> new HashSet<>()).add(k);
            }
        }

        /** Accepted requests still pending, over all partitions. */
        public int total() {
            return live.values().stream().mapToInt(Set::size).sum();
        }

        /** Pending requests per partition, only partitions that hold any, in partition order. */
        public SortedMap<Integer, Integer> perPartition() {
            SortedMap<Integer, Integer> counts = new TreeMap<>();
            live.forEach((partition, keys) -> {
                if (!keys.isEmpty()) {
                    counts.put(partition, keys.size());
                }
            });
            return Collections.unmodifiableSortedMap(counts);
        }
    }
}
