package dev.chatbridge.devtools.broker;

import dev.chatbridge.devtools.Directories;
import dev.chatbridge.devtools.PortsInUse;
import dev.chatbridge.kafka.KafkaTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.Server;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM, for integration tests,
 * the {@code demo} and the {@code sandbox}.
 *
 * <p><b>Lifecycle.</b> {@link #builder()} configures, {@link #start()} formats the log directory, starts the server and
 * returns only when the broker answers requests (bounded by {@link Builder#startTimeout(Duration)}), {@link #close()}
 * shuts it down, waits for it and deletes the log directory when this instance created it. An instance starts at most
 * once; {@code close()} is idempotent and also cleans up after a failed start.
 *
 * <p><b>Threading.</b> All public methods are thread-safe: {@code start} and {@code close} are serialized on the
 * instance lock and run on the caller's thread; the broker's work runs on Kafka's own threads, which {@code close}
 * stops. {@link #createTopics(Map)} uses a short-lived admin client of its own.
 *
 * <p><b>Limits.</b> One node, so every topic has replication factor 1; internal topics (offsets, transactions,
 * share-group state) use one partition and min ISR 1, which is what lets transactions and {@code exactly_once_v2} work.
 * Like any Kafka server, the broker halts the JVM (Kafka's {@code Exit.halt}) on a fatal metadata fault; it is meant
 * for tests and local demos, not production.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = LoopbackPorts.HOST;
    private static final String TEMP_DIR_PREFIX = "chatbridge-kafka-";
    private static final int NODE_ID = 1;
    private static final int MAX_AUTO_PORT_ATTEMPTS = 3;
    private static final Duration READY_POLL = Duration.ofMillis(100);

    private enum State {
        NEW,
        STARTED,
        CLOSED
    }

    private final int requestedBrokerPort;
    private final int requestedControllerPort;
    private final Map<String, String> extraProperties;
    private final Path requestedLogDirectory;
    private final Duration startTimeout;

    // Guarded by "this".
    private State state = State.NEW;
    private Server server;
    private Path logDirectory;
    private boolean ownsLogDirectory;
    private int brokerPort;
    private int controllerPort;

    private EmbeddedKafkaBroker(Builder builder) {
        this.requestedBrokerPort = builder.brokerPort;
        this.requestedControllerPort = builder.controllerPort;
        this.extraProperties = Map.copyOf(builder.extraProperties);
        this.requestedLogDirectory = builder.logDirectory;
        this.startTimeout = builder.startTimeout;
    }

    /** A builder with free loopback ports, a temporary log directory and a 60 s start timeout. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats storage, starts the broker and waits until it serves requests.
     *
     * @return this broker, started
     * @throws IllegalStateException when already started or closed, when a fixed port is taken, or when the broker does
     *     not answer within the start timeout
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (state != State.NEW) {
            throw new IllegalStateException("an EmbeddedKafkaBroker starts once; this one is " + state);
        }
        state = State.STARTED;
        long startedAt = System.nanoTime();
        long deadline = startedAt + startTimeout.toNanos();
        long serverUpAt;
        try {
            prepareLogDirectory();
            startServerWithFreshPortsOnCollision(deadline);
            serverUpAt = System.nanoTime();
            awaitServing(deadline);
        } catch (RuntimeException e) {
            try {
                close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        long servingAt = System.nanoTime();
        LOG.info(
                "Kafka broker serving at {} (controller port {}, log dir {}) after {} ms ({} ms to start the server, {} ms to answer)",
                bootstrapServers(),
                controllerPort,
                logDirectory,
                TimeUnit.NANOSECONDS.toMillis(servingAt - startedAt),
                TimeUnit.NANOSECONDS.toMillis(serverUpAt - startedAt),
                TimeUnit.NANOSECONDS.toMillis(servingAt - serverUpAt));
        return this;
    }

    /** {@code 127.0.0.1:<broker port>}, for clients' {@code bootstrap.servers}; valid once started. */
    public synchronized String bootstrapServers() {
        requireStarted();
        return HOST + ":" + brokerPort;
    }

    /** The port of the PLAINTEXT client listener; valid once started. */
    public synchronized int brokerPort() {
        requireStarted();
        return brokerPort;
    }

    /** The port of the KRaft controller listener; valid once started. */
    public synchronized int controllerPort() {
        requireStarted();
        return controllerPort;
    }

    /** The broker's log directory; valid once started. */
    public synchronized Path logDirectory() {
        requireStarted();
        return logDirectory;
    }

    /**
     * Creates the topics and waits (at most 30 s) until they are described with a leader for every partition. See
     * {@link KafkaTopics#createAndAwait}.
     *
     * @param partitionsByName topic name to partition count
     */
    public void createTopics(Map<String, Integer> partitionsByName) {
        try (Admin admin = Admin.create(adminConfig(bootstrapServers()))) {
            KafkaTopics.createAndAwait(admin, partitionsByName, Duration.ofSeconds(30));
        }
    }

    /**
     * Stops the broker, waits for its threads and deletes the log directory when it is temporary. Idempotent.
     *
     * @throws UncheckedIOException when the temporary log directory cannot be deleted
     */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        long stoppingAt = System.nanoTime();
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            LOG.info(
                    "Kafka broker on port {} stopped in {} ms",
                    brokerPort,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppingAt));
        }
        if (ownsLogDirectory && logDirectory != null) {
            Directories.deleteRecursively(logDirectory);
        }
    }

    private void requireStarted() {
        if (state != State.STARTED || server == null) {
            throw new IllegalStateException("the broker is not running (" + state + ")");
        }
    }

    private void prepareLogDirectory() {
        try {
            if (requestedLogDirectory == null) {
                logDirectory =
                        Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), TEMP_DIR_PREFIX);
                ownsLogDirectory = true;
            } else {
                logDirectory = Files.createDirectories(requestedLogDirectory);
                ownsLogDirectory = false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Kafka log directory", e);
        }
    }

    private void startServerWithFreshPortsOnCollision(long deadline) {
        boolean autoPorts = requestedBrokerPort == 0 || requestedControllerPort == 0;
        for (int attempt = 1; ; attempt++) {
            choosePorts();
            Properties properties = serverProperties(deadline);
            KafkaServerFactory.format(properties, logDirectory);
            Server candidate = KafkaServerFactory.create(properties);
            try {
                candidate.startup();
                server = candidate;
                return;
            } catch (RuntimeException e) {
                shutdownQuietlyInto(candidate, e);
                if (!PortsInUse.causedBy(e)) {
                    throw new IllegalStateException("the Kafka broker failed to start on ports " + portsText(), e);
                }
                if (!autoPorts || attempt >= MAX_AUTO_PORT_ATTEMPTS) {
                    throw portTaken(e);
                }
                LOG.warn("Kafka ports {} were taken by someone else meanwhile; retrying with fresh ports", portsText());
            }
        }
    }

    private void choosePorts() {
        brokerPort = requestedBrokerPort == 0
                ? LoopbackPorts.free()
                : LoopbackPorts.requireFree(requestedBrokerPort, "broker");
        do {
            controllerPort = requestedControllerPort == 0
                    ? LoopbackPorts.free()
                    : LoopbackPorts.requireFree(requestedControllerPort, "controller");
        } while (controllerPort == brokerPort && requestedControllerPort == 0);
        if (controllerPort == brokerPort) {
            throw new IllegalStateException("the broker and controller ports must differ, both were " + brokerPort);
        }
    }

    private Properties serverProperties(long deadline) {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        props.put(
                "listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDirectory.toString());
        props.put("num.partitions", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("share.coordinator.state.topic.num.partitions", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("log.cleaner.dedupe.buffer.size", "2097152");
        props.put(
                "server.max.startup.time.ms",
                Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
        props.putAll(extraProperties);
        return props;
    }

    private void awaitServing(long deadline) {
        Exception last = null;
        try (Admin admin = Admin.create(adminConfig(bootstrapServers()))) {
            while (System.nanoTime() - deadline < 0) {
                try {
                    DescribeClusterResult cluster = admin.describeCluster();
                    long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                    Collection<Node> nodes = cluster.nodes().get(waitMillis, TimeUnit.MILLISECONDS);
                    Node controller = cluster.controller().get(waitMillis, TimeUnit.MILLISECONDS);
                    if (!nodes.isEmpty() && controller != null && !controller.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(
                            "interrupted while waiting for the Kafka broker on " + portsText(), e);
                }
                pause();
            }
        }
        throw new IllegalStateException(
                "the Kafka broker on " + portsText() + " did not answer within " + startTimeout
                        + "; raise the start timeout on a slow machine",
                last);
    }

    private static Map<String, Object> adminConfig(String bootstrapServers) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "chatbridge-embedded-broker-admin");
        return config;
    }

    private static void shutdownQuietlyInto(Server candidate, RuntimeException failure) {
        try {
            candidate.shutdown();
            candidate.awaitShutdown();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private IllegalStateException portTaken(Exception cause) {
        return new IllegalStateException(
                "cannot bind the Kafka broker to " + portsText()
                        + ": a port is already in use; choose other ports with brokerPort(...)/controllerPort(...)"
                        + " (0 picks free ones)",
                cause);
    }

    private String portsText() {
        return "127.0.0.1 broker port " + brokerPort + ", controller port " + controllerPort;
    }

    private static void pause() {
        try {
            Thread.sleep(READY_POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
        }
    }

    /** Configures an {@link EmbeddedKafkaBroker}; not thread-safe. */
    public static final class Builder {
        private int brokerPort;
        private int controllerPort;
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private Path logDirectory;
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {}

        /** The client (PLAINTEXT) port on 127.0.0.1; 0, the default, picks a free one. */
        public Builder brokerPort(int port) {
            this.brokerPort = checkPort(port);
            return this;
        }

        /** The KRaft controller port on 127.0.0.1; 0, the default, picks a free one. */
        public Builder controllerPort(int port) {
            this.controllerPort = checkPort(port);
            return this;
        }

        /** A broker property that overrides or adds to the defaults (applied last). */
        public Builder property(String key, String value) {
            extraProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * A log directory that outlives the broker (formatted on first use, never deleted); by default a fresh
         * {@code chatbridge-kafka-*} directory under {@code java.io.tmpdir}, deleted on close.
         */
        public Builder logDirectory(Path directory) {
            this.logDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** How long {@link EmbeddedKafkaBroker#start()} may take before it gives up; default 60 s. */
        public Builder startTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + timeout);
            }
            this.startTimeout = timeout;
            return this;
        }

        /** A broker with this configuration, not yet started. */
        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }

        private static int checkPort(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 (any free) or 1-65535, was " + port);
            }
            return port;
        }
    }
}
