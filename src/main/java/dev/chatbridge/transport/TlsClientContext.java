package dev.chatbridge.transport;

import dev.chatbridge.config.InvalidConfigurationException;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;

/**
 * The one way both HTTP clients (the chat API's and the schema registry's) speak TLS: Reactor Netty's
 * {@link Http11SslContextSpec} for a client, with the configured truststore (the JDK's trust when none), the client
 * certificate for mutual TLS when there is one, and a handshake timeout. The server's certificate and host name are
 * always verified; nothing here turns that off.
 *
 * <p>The handshake timeout is the client's connect timeout: a server that accepts the TCP connection and then never
 * completes the handshake fails the attempt after that long, with Netty's {@code SslHandshakeTimeoutException} (an
 * {@link SSLException}), instead of after Reactor Netty's default of 10 s.
 *
 * <p>Built once per client (the truststore file is read and the TLS context made then), so a wrong path, type or
 * password stops the client at construction with an {@link IllegalArgumentException} naming the setting and the file,
 * never the password. Immutable and thread-safe.
 */
public final class TlsClientContext {

    /**
     * A truststore file and the names of the settings it came from, which errors name.
     *
     * @param path the file
     * @param type the {@link KeyStore} type ({@code PKCS12}, {@code JKS})
     * @param password its password, or null; a secret, never shown
     * @param locationSetting the setting that names the file
     * @param typeSetting the setting that names the type
     * @param passwordSetting the setting that holds the password
     */
    public record TrustStoreFile(
            Path path,
            String type,
            char[] password,
            String locationSetting,
            String typeSetting,
            String passwordSetting) {

        public TrustStoreFile {
            if (path == null
                    || type == null
                    || locationSetting == null
                    || typeSetting == null
                    || passwordSetting == null) {
                throw new NullPointerException("a truststore file needs its path, type and setting names");
            }
            password = password == null ? null : password.clone();
        }

        @Override
        public char[] password() {
            return password == null ? null : password.clone();
        }

        @Override
        public String toString() {
            return "TrustStoreFile[" + locationSetting + "=" + path + ", " + typeSetting + "=" + type + ", "
                    + passwordSetting + "=" + (password == null ? "none" : "[hidden]") + "]";
        }
    }

    /**
     * The key and certificate chain a client shows for mutual TLS.
     *
     * @param key the private key; a secret, never shown
     * @param chain the certificates, leaf first
     */
    public record ClientKey(PrivateKey key, List<X509Certificate> chain) {

        public ClientKey {
            Objects.requireNonNull(key, "key");
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("a client key needs its certificate");
            }
        }

        @Override
        public String toString() {
            return "ClientKey[" + chain.get(0).getSubjectX500Principal() + ", key hidden]";
        }
    }

    private final SslContext context;
    private final Duration handshakeTimeout;

    private TlsClientContext(SslContext context, Duration handshakeTimeout) {
        this.context = context;
        this.handshakeTimeout = handshakeTimeout;
    }

    /**
     * Reads the truststore and builds the TLS context.
     *
     * @param trustStore the truststore, or null for the JDK's trust
     * @param clientKey the client certificate and key for mutual TLS, or null for none
     * @param handshakeTimeout the longest a TLS handshake may take (positive): the client's connect timeout
     * @throws InvalidConfigurationException when the truststore cannot be read or the context cannot be built: the
     *     message names the setting and the file, never the password
     */
    public static TlsClientContext create(TrustStoreFile trustStore, ClientKey clientKey, Duration handshakeTimeout) {
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, was " + handshakeTimeout);
        }
        TrustManagerFactory trust = trustStore == null ? null : trustManagers(trustStore);
        Http11SslContextSpec spec = Http11SslContextSpec.forClient().configure(builder -> {
            if (trust != null) {
                builder.trustManager(trust);
            }
            if (clientKey != null) {
                builder.keyManager(clientKey.key(), clientKey.chain().toArray(new X509Certificate[0]));
            }
        });
        try {
            return new TlsClientContext(spec.sslContext(), handshakeTimeout);
        } catch (SSLException | RuntimeException e) {
            throw new InvalidConfigurationException(
                    List.of("cannot build a TLS context with "
                            + (trustStore == null
                                    ? "the JDK's truststore"
                                    : trustStore.locationSetting() + "=" + trustStore.path())
                            + (clientKey == null ? "" : " and the client certificate " + clientKey) + ": "
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")")),
                    e);
        }
    }

    /** {@code client} speaking TLS with this context and handshake timeout. */
    public HttpClient secure(HttpClient client) {
        return client.secure(spec -> spec.sslContext(context).handshakeTimeout(handshakeTimeout));
    }

    /** The longest a TLS handshake may take. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * The trust managers of a truststore file.
     *
     * @throws InvalidConfigurationException when the file cannot be read or loaded as its type with its password: the
     *     message names the location setting, the file, the type, and the settings to check, never the password
     */
    static TrustManagerFactory trustManagers(TrustStoreFile store) {
        char[] password = store.password();
        try (InputStream in = Files.newInputStream(store.path())) {
            KeyStore keyStore = KeyStore.getInstance(store.type());
            keyStore.load(in, password);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(keyStore);
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            String detail = e.getMessage() == null ? "" : ": " + e.getMessage();
            if (password != null && password.length > 0) {
                detail = detail.replace(new String(password), "[hidden]");
            }
            throw new InvalidConfigurationException(
                    List.of(store.locationSetting() + "=" + store.path() + " cannot be loaded as a " + store.type()
                            + " truststore (" + e.getClass().getSimpleName() + detail + "): check that the file"
                            + " exists and is readable, " + store.typeSetting() + " and " + store.passwordSetting()),
                    e);
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }
}
