package dev.chatbridge.it;

import static org.awaitility.Awaitility.await;

import dev.chatbridge.it.OutcomeReader.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads the committed output continuously on a thread of its own while a test starts and stops instances, so that the
 * test can wait for progress and afterwards measure the time without it.
 *
 * <p>Two clocks: an outcome's record timestamp, which the engine sets to the wall-clock time at which it forwarded the
 * outcome (the outcome is read only once that transaction committed), and the wall-clock time at which this reader
 * received it (adds the commit interval and fetch latency). {@link #longestGap} measures with the first,
 * {@link #longestArrivalGap} with the second.
 *
 * <p>Threading: the reader is used by the watcher thread only until {@link #stop()}, then by the caller;
 * {@link #distinctSeen()} and {@link #hasAll} may be called from any thread meanwhile.
 */
final class ProgressWatcher implements AutoCloseable {

    private final OutcomeReader reader;
    private final Thread thread;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    /** Arrival time (epoch ms) of each outcome of {@link OutcomeReader#outcomes()}, same index. */
    private final List<Long> arrivals = new ArrayList<>();

    private volatile boolean running = true;

    ProgressWatcher(ItFixture fixture) {
        this.reader = new OutcomeReader(fixture);
        this.thread = new Thread(this::loop, "progress-watcher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        try {
            int known = 0;
            while (running) {
                reader.pollOnce();
                List<Outcome> all = reader.outcomes();
                long now = System.currentTimeMillis();
                for (int i = known; i < all.size(); i++) {
                    arrivals.add(now);
                    seen.add(all.get(i).requestId());
                }
                known = all.size();
            }
        } catch (RuntimeException e) {
            failure.set(e);
        }
    }

    /** Distinct request ids with a committed outcome so far. */
    int distinctSeen() {
        throwIfFailed();
        return seen.size();
    }

    /** Whether every id has a committed outcome. */
    boolean hasAll(Collection<String> requestIds) {
        throwIfFailed();
        return seen.containsAll(requestIds);
    }

    /** Waits until {@code more} outcomes beyond those seen now have arrived. */
    void awaitMore(int more, Duration atMost) {
        int target = distinctSeen() + more;
        await(target + " outcomes")
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> distinctSeen() >= target);
    }

    /**
     * Waits until a step has settled: every request of {@code backlog} (those sent until now) is answered, and
     * {@code more} outcomes beyond those seen now have arrived.
     */
    void awaitSettled(List<String> backlog, int more, Duration atMost) {
        int target = distinctSeen() + more;
        await("the backlog of " + backlog.size() + " requests answered and " + more + " more outcomes")
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> hasAll(backlog) && distinctSeen() >= target);
    }

    /**
     * Stops the watcher thread, then reads on to the end of the output topics (so a duplicate committed after the last
     * poll is seen too) and returns every outcome read.
     */
    List<Outcome> stop(Duration timeout) throws InterruptedException {
        running = false;
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            throw new IllegalStateException("the progress watcher did not stop within " + timeout);
        }
        throwIfFailed();
        reader.readToEnd(timeout);
        List<Outcome> all = reader.outcomes();
        long now = System.currentTimeMillis();
        while (arrivals.size() < all.size()) {
            arrivals.add(now);
        }
        return all;
    }

    /**
     * The longest time, in ms, between two consecutive committed outcomes (by record timestamp) among those gaps that
     * overlap {@code [fromMs, toMs]}; a window with no outcome at all counts as one gap from the last outcome before it
     * to the first after it. Call after {@link #stop}.
     */
    long longestGap(long fromMs, long toMs) {
        return longestGap(
                reader.outcomes().stream().map(Outcome::timestamp).sorted().toList(), fromMs, toMs);
    }

    /** As {@link #longestGap}, by the time this reader received the outcomes. Call after {@link #stop}. */
    long longestArrivalGap(long fromMs, long toMs) {
        return longestGap(arrivals.stream().sorted().toList(), fromMs, toMs);
    }

    /** How many outcomes carry a record timestamp within {@code [fromMs, toMs]}. Call after {@link #stop}. */
    long outcomesBetween(long fromMs, long toMs) {
        return reader.outcomes().stream()
                .filter(o -> o.timestamp() >= fromMs && o.timestamp() <= toMs)
                .count();
    }

    /**
     * As {@link #longestGap}, per partition (outcomes are keyed by thread like the input, and the output topics have
     * the input's partition count, so output partition n holds the outcomes of input partition n): the longest time one
     * partition's conversations went without an outcome, which a global gap hides while other partitions progress. Call
     * after {@link #stop}.
     */
    PartitionGap longestPartitionGap(long fromMs, long toMs) {
        Map<Integer, List<Long>> byPartition = new TreeMap<>();
        for (Outcome o : reader.outcomes()) {
            byPartition.computeIfAbsent(o.partition(), k -> new ArrayList<>()).add(o.timestamp());
        }
        PartitionGap longest = new PartitionGap(-1, 0);
        for (Map.Entry<Integer, List<Long>> e : byPartition.entrySet()) {
            long gap = longestGap(e.getValue().stream().sorted().toList(), fromMs, toMs);
            if (gap > longest.gapMs()) {
                longest = new PartitionGap(e.getKey(), gap);
            }
        }
        return longest;
    }

    /** The longest gap of one partition. */
    record PartitionGap(int partition, long gapMs) {
        @Override
        public String toString() {
            return gapMs + "(p" + partition + ")";
        }
    }

    /**
     * Writes every outcome read (topic, partition, offset, record timestamp, arrival time, request id) as CSV, for
     * looking at a run afterwards. Call after {@link #stop}.
     */
    void writeCsv(Path file) throws IOException {
        List<Outcome> all = reader.outcomes();
        StringBuilder csv = new StringBuilder("topic,partition,offset,timestamp_ms,arrival_ms,request_id\n");
        for (int i = 0; i < all.size(); i++) {
            Outcome o = all.get(i);
            csv.append(o.topic())
                    .append(',')
                    .append(o.partition())
                    .append(',')
                    .append(o.offset())
                    .append(',')
                    .append(o.timestamp())
                    .append(',')
                    .append(arrivals.get(i))
                    .append(',')
                    .append(o.requestId())
                    .append('\n');
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, csv, StandardCharsets.UTF_8);
    }

    static long longestGap(List<Long> sortedTimes, long fromMs, long toMs) {
        long longest = 0;
        for (int i = 1; i < sortedTimes.size(); i++) {
            long a = sortedTimes.get(i - 1);
            long b = sortedTimes.get(i);
            if (b >= fromMs && a <= toMs) {
                longest = Math.max(longest, b - a);
            }
        }
        return longest;
    }

    private void throwIfFailed() {
        RuntimeException e = failure.get();
        if (e != null) {
            throw new IllegalStateException("the progress watcher failed", e);
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!thread.isAlive()) {
            reader.close();
        }
    }
}
