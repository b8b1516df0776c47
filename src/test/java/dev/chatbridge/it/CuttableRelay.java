package dev.chatbridge.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 in front of a local server, which a test can cut and restore: cutting closes every relayed
 * connection and the listening socket, so clients see resets and then refused connections; restoring listens again on
 * the same port. It stands for the server's network presence, so that an outage also ends keep-alive connections that
 * the server itself would go on serving after being stopped.
 *
 * <p>Threading: one accept thread while listening and two copy threads per connection, all daemons; {@link #cut},
 * {@link #restore} and {@link #close} are synchronized.
 */
final class CuttableRelay implements AutoCloseable {

    private final int targetPort;
    private final int port;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private ServerSocket listener;

    /** Listens on a free port and relays to 127.0.0.1:{@code targetPort}. */
    CuttableRelay(int targetPort) {
        this.targetPort = targetPort;
        this.listener = bind(0);
        this.port = listener.getLocalPort();
        startAccepting(listener);
    }

    /** {@code http://127.0.0.1:<port>}. */
    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Closes the listening socket and every relayed connection. */
    synchronized void cut() {
        closeQuietly(listener);
        listener = null;
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /** Listens again on the same port. */
    synchronized void restore() {
        if (listener == null) {
            listener = bind(port);
            startAccepting(listener);
        }
    }

    @Override
    public synchronized void close() {
        cut();
    }

    private static ServerSocket bind(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
    }

    private void startAccepting(ServerSocket server) {
        daemon("relay-accept-" + port, () -> {
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    continue; // closed by cut(): the loop ends
                }
                try {
                    Socket upstream = new Socket(InetAddress.getByName("127.0.0.1"), targetPort);
                    // no Nagle: a request written in two parts would otherwise wait for a delayed ACK
                    client.setTcpNoDelay(true);
                    upstream.setTcpNoDelay(true);
                    sockets.add(client);
                    sockets.add(upstream);
                    daemon("relay-up-" + port, () -> copy(client, upstream));
                    daemon("relay-down-" + port, () -> copy(upstream, client));
                } catch (IOException e) {
                    closeQuietly(client); // the target refused: so does the relay
                }
            }
        });
    }

    private void copy(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a side closed: end both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
