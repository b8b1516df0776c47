package dev.chatbridge.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Named {@code run} instances of one application, each a separate JVM (as Kubernetes would run pods), sharing the
 * fixture's topics and consumer group: started, stopped with SIGTERM and started again by name, with a view of the
 * group's members and assignment taken from the broker.
 *
 * <p>Each instance has its own properties file with {@code client.id} set to its name, so its group member is
 * recognisable ({@code <name>-StreamThread-1-consumer}). Each start is a new "life" with its own log file (see
 * {@link InstanceLogs}).
 *
 * <p>Threading: test thread only.
 */
final class Fleet {

    private final ItFixture fixture;
    private final ChildJvms jvms;
    private final int maxInFlight;
    private final Map<String, String> common;
    private final List<String> jvmOptions;
    private final Map<String, Path> configs = new HashMap<>();
    private final Map<String, Process> processes = new HashMap<>();
    private final Map<String, Integer> lives = new HashMap<>();
    private final List<Path> logs = new ArrayList<>();
    private final Map<String, Path> currentLog = new HashMap<>();

    /** {@code common}: settings every instance gets on top of the fixture's run settings. */
    Fleet(ItFixture fixture, ChildJvms jvms, int maxInFlight, Map<String, String> common) throws IOException {
        this.fixture = fixture;
        this.jvms = jvms;
        this.maxInFlight = maxInFlight;
        this.common = Map.copyOf(common);
        this.jvmOptions = InstanceLogs.jvmOptions();
    }

    /**
     * Starts the instance (again, for a name started before). {@code freshState}: with a new, empty state directory (a
     * Deployment's pod), else with the one of its previous life (a StatefulSet's volume); its first start always has a
     * new one. {@code own}: settings of this instance only, such as {@code group.instance.id}.
     */
    void start(String name, boolean freshState, Map<String, String> own) throws IOException {
        if (!configs.containsKey(name) || freshState) {
            configs.put(name, writeConfig(name, own));
        }
        int life = lives.merge(name, 1, Integer::sum);
        Path config = configs.get(name);
        processes.put(name, jvms.run(config, Integer.toString(life), jvmOptions));
        Path log = ChildJvms.logOf(config, Integer.toString(life));
        logs.add(log);
        currentLog.put(name, log);
    }

    private Path writeConfig(String name, Map<String, String> own) throws IOException {
        // runConfigFile gives a new state directory each call and always writes the same file: copy it under the name
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(fixture.runConfigFile(maxInFlight), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        p.put(StreamsConfig.CLIENT_ID_CONFIG, name);
        p.putAll(common);
        p.putAll(own);
        return ChildJvms.writeProperties(p, fixture.applicationId + "-" + name);
    }

    /** Sends SIGTERM to the instance (graceful stop: drain, commit, leave the group). */
    void sigterm(String name) {
        processes.get(name).destroy();
    }

    /** Waits for the instance's process to end and returns its exit code. */
    int awaitExit(String name, Duration timeout) throws InterruptedException {
        Process p = processes.get(name);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " did not exit within " + timeout);
        }
        return p.exitValue();
    }

    /** The log file of the instance's current (latest) life. */
    Path log(String name) {
        return currentLog.get(name);
    }

    /** Every log file of every life of every instance so far. */
    List<Path> logs() {
        return List.copyOf(logs);
    }

    /**
     * Waits until the group is stable with exactly these instances as members, each with at least one input partition,
     * together all of them; returns how long that took.
     */
    Duration awaitAssigned(Set<String> names, Duration atMost) {
        long start = System.nanoTime();
        await("group stable with exactly " + names + " holding every input partition")
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> isAssigned(names));
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private boolean isAssigned(Set<String> names) throws Exception {
        ConsumerGroupDescription group = describe();
        if (group.groupState() != GroupState.STABLE) {
            return false;
        }
        Map<String, Set<TopicPartition>> byInstance = assignment(group);
        if (!byInstance.keySet().equals(names) || byInstance.values().stream().anyMatch(Set::isEmpty)) {
            return false;
        }
        Set<TopicPartition> all = new HashSet<>();
        byInstance.values().forEach(all::addAll);
        return all.size() == fixture.partitions;
    }

    /** Input partitions per instance name, as the broker sees the group now. */
    Map<String, Set<TopicPartition>> assignment(ConsumerGroupDescription group) {
        Map<String, Set<TopicPartition>> byInstance = new LinkedHashMap<>();
        for (MemberDescription m : group.members()) {
            String instance = m.clientId().replaceFirst("-StreamThread-\\d+-consumer$", "");
            Set<TopicPartition> input = byInstance.computeIfAbsent(instance, k -> new HashSet<>());
            m.assignment().topicPartitions().stream()
                    .filter(tp -> tp.topic().equals(fixture.requests))
                    .forEach(input::add);
        }
        return byInstance;
    }

    /** The group's static member ids (group.instance.id) as the broker sees them now. */
    Set<String> groupInstanceIds() throws Exception {
        Set<String> ids = new HashSet<>();
        describe().members().forEach(m -> m.groupInstanceId().ifPresent(ids::add));
        return ids;
    }

    ConsumerGroupDescription describe() throws Exception {
        return fixture.kafka
                .adminClient()
                .describeConsumerGroups(List.of(fixture.applicationId))
                .describedGroups()
                .get(fixture.applicationId)
                .get(10, TimeUnit.SECONDS);
    }
}
