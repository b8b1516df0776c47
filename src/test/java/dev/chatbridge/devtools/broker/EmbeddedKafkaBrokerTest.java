package dev.chatbridge.devtools.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedKafkaBrokerTest {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBrokerTest.class);

    @Test
    void shouldServeOnFixedPortsAndDeleteItsTemporaryLogDirectoryWhenClosedTwice() {
        // Given a broker started on fixed ports with the default temporary log directory
        int brokerPort = LoopbackPorts.free();
        int controllerPort = LoopbackPorts.free();
        while (controllerPort == brokerPort) {
            controllerPort = LoopbackPorts.free();
        }
        long startAt = System.nanoTime();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder()
                .brokerPort(brokerPort)
                .controllerPort(controllerPort)
                .build()
                .start();
        LOG.info("Embedded broker start took {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startAt));
        Path logDirectory = broker.logDirectory();
        assertThat(logDirectory.getFileName().toString()).startsWith("chatbridge-kafka-");
        assertThat(logDirectory.getParent()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
        assertThat(logDirectory.resolve("meta.properties")).isRegularFile();
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + brokerPort);
        assertThat(broker.controllerPort()).isEqualTo(controllerPort);

        // When it is closed twice
        broker.close();
        assertThatCode(broker::close).doesNotThrowAnyException();

        // Then the directory is gone and the broker cannot be used or restarted
        assertThat(logDirectory).doesNotExist();
        assertThatThrownBy(broker::bootstrapServers).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(broker::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("starts once");
    }

    @Test
    void shouldNameThePortAndTheFixWhenAFixedBrokerPortIsTaken() throws IOException {
        // Given a loopback port someone else listens on
        Set<Path> tempDirsBefore = ourTempDirs();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            EmbeddedKafkaBroker broker =
                    EmbeddedKafkaBroker.builder().brokerPort(port).build();

            // When the broker is asked to use it, then start fails naming the port and the setting
            assertThatThrownBy(broker::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("brokerPort(");
            // and leaves no temporary directory behind
            assertThat(ourTempDirs()).isSubsetOf(tempDirsBefore);
            assertThatCode(broker::close).doesNotThrowAnyException();
        }
    }

    @Test
    void shouldRejectPortsOutsideTheTcpRange() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().brokerPort(70_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000");
    }

    private static Set<Path> ourTempDirs() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(p -> p.getFileName().toString().startsWith("chatbridge-kafka-"))
                    .collect(Collectors.toSet());
        }
    }
}
