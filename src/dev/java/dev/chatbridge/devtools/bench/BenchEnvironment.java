package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.Directories;
import dev.chatbridge.devtools.broker.EmbeddedKafkaBroker;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What every workload shares, all on 127.0.0.1 in the benchmark's JVM: an embedded KRaft broker, an embedded schema
 * registry, a temporary directory (state dirs, child logs), and the list of child JVMs still running, so that
 * {@link #close()} (or a shutdown hook calling {@link #killChildren()}) leaves nothing behind.
 *
 * <p>Threading: owned by the benchmark's thread; {@link #killChildren()} may run on a shutdown hook.
 */
final class BenchEnvironment implements AutoCloseable {

    /** The API key the benchmark's simulators accept. */
    static final String API_KEY = "bench-key";

    private final Path dir;
    private final boolean keepDir;
    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;
    private final SchemaRegistryClient registryClient;
    private final List<ChildJvm> children = new CopyOnWriteArrayList<>();

    private BenchEnvironment(Path dir, boolean keepDir, EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry) {
        this.dir = dir;
        this.keepDir = keepDir;
        this.broker = broker;
        this.registry = registry;
        this.registryClient = SchemaRegistryClients.create(Map.of("schema.registry.url", registry.url()));
    }

    /** Starts the broker and the registry on free ports, with a fresh temporary directory. */
    static BenchEnvironment start(boolean keepDir) {
        Path dir;
        try {
            dir = Files.createTempDirectory("chatbridge-bench-");
        } catch (IOException e) {
            throw new BenchException("cannot create a temporary directory: " + e.getMessage(), e);
        }
        EmbeddedKafkaBroker broker = null;
        EmbeddedSchemaRegistry registry = null;
        try {
            broker = EmbeddedKafkaBroker.builder()
                    .brokerPort(0)
                    .controllerPort(0)
                    .logDirectory(dir.resolve("kafka"))
                    .build()
                    .start();
            registry = new EmbeddedSchemaRegistry(0).start();
            return new BenchEnvironment(dir, keepDir, broker, registry);
        } catch (RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            if (broker != null) {
                broker.close();
            }
            delete(dir);
            throw new BenchException("the embedded broker or registry did not start: " + e.getMessage(), e);
        }
    }

    Path dir() {
        return dir;
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String registryUrl() {
        return registry.url();
    }

    SchemaRegistryClient registryClient() {
        return registryClient;
    }

    /** Creates the topics with {@code partitions} partitions each. */
    void createTopics(int partitions, String... names) {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String n : names) {
            topics.put(n, partitions);
        }
        broker.createTopics(topics);
    }

    /** A started simulator with the workload's latency and answers, keeping up to {@code timings} call timings. */
    ApiSimulator simulator(Workload w, int timings) {
        return new ApiSimulator(SimulatorConfig.builder()
                        .host("127.0.0.1")
                        .port(0)
                        .apiKeys(API_KEY)
                        .latency(w.latency())
                        .chunks(w.chunks())
                        .chunkInterval(w.chunkInterval())
                        .seed(42)
                        .maxRecordedCalls(1_000)
                        .callTimings(timings)
                        .build())
                .start();
    }

    /** Starts a child JVM and remembers it until {@link #release}. */
    ChildJvm child(String kind, List<String> jvmOptions, List<String> args, Map<String, String> env, String name)
            throws IOException {
        ChildJvm child = ChildJvm.start(kind, jvmOptions, args, env, dir, name);
        children.add(child);
        return child;
    }

    /** Kills the child and forgets it. */
    void release(ChildJvm child) {
        child.kill();
        children.remove(child);
    }

    /** Kills every child still running (SIGKILL, by PID). */
    void killChildren() {
        for (ChildJvm c : new ArrayList<>(children)) {
            c.kill();
        }
        children.clear();
    }

    /** A free port on 127.0.0.1 (for a child's ops server). */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    @Override
    public void close() {
        killChildren();
        try {
            registryClient.close();
        } catch (Exception e) {
            // closing a registry client only releases its HTTP resources; nothing to report
        }
        registry.close();
        broker.close();
        if (!keepDir) {
            delete(dir);
        }
    }

    private static void delete(Path dir) {
        try {
            Directories.deleteRecursively(dir);
        } catch (UncheckedIOException e) {
            System.err.println("warning: " + e.getMessage());
        }
    }
}
