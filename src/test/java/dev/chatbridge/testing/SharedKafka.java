package dev.chatbridge.testing;

import dev.chatbridge.devtools.broker.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The one Kafka cluster of a test JVM and its shared admin client, kept in JUnit's root store and closed by JUnit at
 * the end of the run.
 *
 * <p>Chosen in this order: the cluster named by the environment variable {@value #BOOTSTRAP_ENV}; else an
 * {@code apache/kafka} container when a Docker engine answers; else an in-process {@link EmbeddedKafkaBroker}. Created
 * once under the root store's lock, then read-only: safe to share between test threads.
 */
final class SharedKafka implements AutoCloseable {

    static final String BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS";
    static final String KAFKA_IMAGE = "apache/kafka:4.4.0";

    private static final Logger LOG = LoggerFactory.getLogger(SharedKafka.class);

    private final String bootstrapServers;
    private final String description;
    private final Runnable stopOwned;
    private final Admin admin;

    private SharedKafka(String bootstrapServers, String description, Runnable stopOwned) {
        this.bootstrapServers = bootstrapServers;
        this.description = description;
        this.stopOwned = stopOwned;
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                30_000,
                AdminClientConfig.CLIENT_ID_CONFIG,
                "chatbridge-test-admin"));
    }

    static SharedKafka start() {
        long startedAt = System.nanoTime();
        SharedKafka kafka = choose();
        LOG.info(
                "Kafka for tests: {} at {}, ready after {} ms",
                kafka.description,
                kafka.bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
        return kafka;
    }

    private static SharedKafka choose() {
        String external = System.getenv(BOOTSTRAP_ENV);
        if (external != null && !external.isBlank()) {
            return new SharedKafka(external.trim(), "existing cluster (" + BOOTSTRAP_ENV + " is set)", () -> {});
        }
        Optional<String> noDocker = whyNoDocker();
        if (noDocker.isEmpty()) {
            KafkaContainer container = new KafkaContainer(KAFKA_IMAGE);
            container.start();
            return new SharedKafka(
                    container.getBootstrapServers(),
                    "Testcontainers " + KAFKA_IMAGE + " (" + BOOTSTRAP_ENV + " unset, Docker engine reachable)",
                    container::stop);
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
        return new SharedKafka(
                broker.bootstrapServers(),
                "embedded in-process broker (" + BOOTSTRAP_ENV + " unset, " + noDocker.get() + ")",
                broker::close);
    }

    /**
     * Why Docker cannot be used, or empty when it can. Without any sign of an engine (no {@code DOCKER_HOST}, no known
     * socket, no Testcontainers settings file) Testcontainers is not asked at all: its own probe logs errors and takes
     * seconds when there is no engine.
     */
    private static Optional<String> whyNoDocker() {
        if (!anyDockerHint()) {
            return Optional.of("no DOCKER_HOST, Docker socket or ~/.testcontainers.properties");
        }
        return DockerClientFactory.instance().isDockerAvailable()
                ? Optional.empty()
                : Optional.of("Testcontainers found no working Docker engine");
    }

    private static boolean anyDockerHint() {
        if (System.getenv("DOCKER_HOST") != null
                || System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win")) {
            return true;
        }
        Path home = Path.of(System.getProperty("user.home"));
        List<Path> hints = List.of(
                Path.of("/var/run/docker.sock"),
                home.resolve(".docker/run/docker.sock"),
                home.resolve(".docker/desktop/docker.sock"),
                home.resolve(".colima/default/docker.sock"),
                home.resolve(".rd/docker.sock"),
                home.resolve(".testcontainers.properties"));
        return hints.stream().anyMatch(Files::exists);
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    Admin admin() {
        return admin;
    }

    @Override
    public void close() {
        try {
            admin.close();
        } finally {
            stopOwned.run();
        }
    }
}
