package dev.chatbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The build's check of its two artifacts (runs in {@code verify}, after {@code package}):
 * {@code target/chat-bridge-service.jar}, the production artifact, carries no class of the Kafka broker, Scala or
 * log4j, and none of the development tools; it still runs the service's commands. {@code target/chat-bridge.jar} keeps
 * the development tools.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ServiceJarIT {

    /** One class of each artifact that must stay out of the service jar; the test reads each one's jar. */
    private static final List<String> FORBIDDEN_MARKERS = List.of(
            "kafka.log.LogManager", // org.apache.kafka:kafka_2.13 (the broker)
            "org.apache.kafka.server.ReplicaState", // org.apache.kafka:kafka-server
            "org.apache.kafka.raft.QuorumState", // org.apache.kafka:kafka-raft
            "org.apache.kafka.image.AclsImage", // org.apache.kafka:kafka-metadata
            "org.apache.kafka.storage.log.metrics.BrokerTopicMetrics", // org.apache.kafka:kafka-storage
            "org.apache.kafka.coordinator.group.assignor.UniformHomogeneousAssignmentBuilder", // group coordinator
            "scala.Predef", // org.scala-lang:scala-library
            "org.apache.logging.log4j.core.LoggerContext"); // log4j-core

    private static final Path FULL_JAR = Path.of(System.getProperty("chatbridge.jar", "target/chat-bridge.jar"));
    private static final Path SERVICE_JAR = FULL_JAR.resolveSibling("chat-bridge-service.jar");

    @Test
    void serviceJarCarriesNoClassOfTheBrokerScalaOrLog4j() throws Exception {
        Set<String> service = classes(SERVICE_JAR);
        assertThat(service).as("the service jar's classes").contains("dev/chatbridge/Main.class");
        for (String marker : FORBIDDEN_MARKERS) {
            Path jar = jarOf(marker);
            Set<String> shared = new TreeSet<>(classes(jar));
            shared.retainAll(service);
            assertThat(shared)
                    .as(
                            "classes of %s (the jar of %s) in %s; exclude that artifact in the service-jar execution of "
                                    + "pom.xml's maven-shade-plugin",
                            jar.getFileName(), marker, SERVICE_JAR)
                    .isEmpty();
        }
    }

    @Test
    void serviceJarCarriesNoneOfTheDevelopmentTools() throws IOException {
        assertThat(classes(SERVICE_JAR)).noneMatch(name -> name.startsWith("dev/chatbridge/devtools/"));
        try (JarFile jar = new JarFile(SERVICE_JAR.toFile())) {
            assertThat(jar.getEntry("META-INF/services/dev.chatbridge.cli.CommandSet"))
                    .isNull();
        }
        assertThat(classes(FULL_JAR))
                .contains(
                        "dev/chatbridge/devtools/cli/DemoCommand.class",
                        "dev/chatbridge/devtools/broker/EmbeddedKafkaBroker.class",
                        "scala/Predef.class");
    }

    @Test
    void serviceJarRunsTheServiceCommandsAndOffersNoOthers() throws Exception {
        Result help = java(SERVICE_JAR, "--help");
        assertThat(help.code()).as(help.toString()).isZero();
        assertThat(commands(help.out())).containsExactly("run", "send", "tail", "topology", "reset");

        // The topology builds Kafka Streams' whole processing graph, so it loads what run needs.
        Result topology = java(SERVICE_JAR, "topology");
        assertThat(topology.code()).as(topology.toString()).isZero();
        assertThat(topology.out()).contains("Sub-topology", "chat-requests", "dispatch");

        Result run = java(SERVICE_JAR, "run");
        assertThat(run.code()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("bootstrap.servers is not set");

        Result full = java(FULL_JAR, "--help");
        assertThat(full.code()).as(full.toString()).isZero();
        assertThat(commands(full.out()))
                .contains("run", "send", "tail", "topology", "reset", "demo", "sandbox", "simulate", "bench");
    }

    /** Names of the class files in a jar. */
    private static Set<String> classes(Path jar) throws IOException {
        assertThat(jar).as("%s exists (built by mvn package)", jar).isRegularFile();
        Set<String> names = new HashSet<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            file.stream()
                    .map(ZipEntry::getName)
                    .filter(n -> n.endsWith(".class"))
                    .forEach(names::add);
        }
        return names;
    }

    /** The jar on the test class path that holds {@code className}. */
    private static Path jarOf(String className) throws ClassNotFoundException, URISyntaxException {
        Class<?> type = Class.forName(className, false, ServiceJarIT.class.getClassLoader());
        Path path =
                Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(path.getFileName().toString())
                .as("%s comes from a jar", className)
                .endsWith(".jar");
        return path;
    }

    /** The subcommands a help text lists (two-space indented words under "Commands:"). */
    private static List<String> commands(String help) {
        List<String> names = new ArrayList<>();
        boolean inCommands = false;
        for (String line : help.split("\\R")) {
            if (line.startsWith("Commands:")) {
                inCommands = true;
            } else if (inCommands && line.matches("  \\S.*")) {
                names.add(line.trim().split("\\s+")[0]);
            } else if (inCommands && line.isBlank()) {
                break;
            }
        }
        return names;
    }

    private record Result(int code, String out, String err) {}

    private static Result java(Path jar, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command =
                new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
        command.addAll(List.of(args));
        Path dir = Files.createDirectories(ChildJvms.OUT);
        Path out = dir.resolve("service-jar.out");
        Path err = dir.resolve("service-jar.err");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("CHAT_BRIDGE_") || k.startsWith("KAFKA_"));
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
        }
        return new Result(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
