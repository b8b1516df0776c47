package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.testing.OfflineSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ServiceRunnerTest {

    private static final String HOST = "127.0.0.1";

    @Test
    @Timeout(60)
    void shouldReleaseTheOpsPortCloseTheAppAndRethrowWithTheCauseWhenTheAppFailsToStart(@TempDir Path stateDir)
            throws Exception {
        // Given a free port for the ops server and an app that fails to start
        int port = freePort();
        IOException cause = new IOException("state directory is read-only");
        AtomicReference<ChatBridgeApp> built = new AtomicReference<>();
        AtomicBoolean opsListened = new AtomicBoolean();
        List<KafkaStreams.State> states = new CopyOnWriteArrayList<>();

        // When the service is started
        assertThatThrownBy(() -> ServiceRunner.start(settings(stateDir), HOST, port, app -> {
                    built.set(app);
                    app.onStateChange((now, before) -> states.add(now));
                    opsListened.set(accepts(port));
                    throw new IllegalStateException("Kafka Streams cannot start", cause);
                }))
                // Then the caller gets the failure with its cause
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("Kafka Streams cannot start")
                .hasCause(cause);

        // and the ops server, listening while the app started, released its port, and the app is closed
        assertThat(opsListened)
                .as("the ops server listened before the app started")
                .isTrue();
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new InetSocketAddress(HOST, port));
            assertThat(again.isBound()).as("ops port bound again").isTrue();
        }
        assertThat(built.get().streams().state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        // Kafka Streams sets NOT_RUNNING on its closing thread and tells the listeners right after, so close() may
        // return before they heard it (CI saw [PENDING_SHUTDOWN] at this point once).
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(states)
                        .as("state changes the app's listeners saw")
                        .endsWith(KafkaStreams.State.NOT_RUNNING));
    }

    private static ChatBridgeApp.Settings settings(Path stateDir) {
        // Nothing is started: no broker, registry or API is asked.
        return OfflineSettings.forRun(stateDir, "http://127.0.0.1:9", "service-runner-test-key");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket(HOST, port)) {
            return socket.isConnected();
        } catch (IOException e) {
            return false;
        }
    }
}
