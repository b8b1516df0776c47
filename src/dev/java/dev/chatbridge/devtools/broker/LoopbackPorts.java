package dev.chatbridge.devtools.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Chooses and checks TCP ports on 127.0.0.1 before the broker binds them. A free port can be taken by someone else
 * between the check and the bind; {@link EmbeddedKafkaBroker} retries with fresh ports in that case. Stateless and
 * thread-safe.
 */
final class LoopbackPorts {

    static final String HOST = "127.0.0.1";

    private LoopbackPorts() {}

    /** A port that was free on 127.0.0.1 a moment ago. */
    static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for the Kafka broker", e);
        }
    }

    /**
     * Returns {@code port} when it can be bound on 127.0.0.1 now.
     *
     * @param role "broker" or "controller", named in the message together with its builder setter
     * @throws IllegalStateException naming the port and how to choose another when it is taken
     */
    static int requireFree(int port, String role) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
            return port;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot bind the Kafka " + role + " to " + HOST + ":" + port
                            + ": the port is already in use; stop what uses it or choose another port with "
                            + role + "Port(...) (0 picks a free one)",
                    e);
        }
    }
}
