package dev.chatbridge.registry;

import static dev.chatbridge.registry.TestSchemas.GREETING_V1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.tcp.SslProvider;

/** The REST client over TLS on loopback: the configured truststore is used and verification is never off. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryTlsTest {

    private static final String STORE_PASSWORD = "changeit-test";

    @TempDir
    static Path dir;

    private static Path truststore;
    private static DisposableServer server;
    private static DisposableServer wrongName;

    @BeforeAll
    static void startTlsServers() throws Exception {
        truststore = dir.resolve("trust.p12");
        server = tlsServer("registry", "ip:127.0.0.1");
        wrongName = tlsServer("elsewhere", "dns:elsewhere.invalid");
    }

    /** A TLS server on 127.0.0.1 whose certificate names {@code san}, trusted by {@link #truststore}. */
    private static DisposableServer tlsServer(String alias, String san) throws Exception {
        Path keystore = dir.resolve(alias + ".p12");
        Path certificate = dir.resolve(alias + ".crt");
        keytool(
                "-genkeypair",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + alias,
                "-ext",
                "SAN=" + san,
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                STORE_PASSWORD);
        keytool(
                "-exportcert",
                "-alias",
                alias,
                "-keystore",
                keystore.toString(),
                "-storepass",
                STORE_PASSWORD,
                "-file",
                certificate.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                alias,
                "-file",
                certificate.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                STORE_PASSWORD);

        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, STORE_PASSWORD.toCharArray());
        SslProvider.GenericSslContextSpec<?> tls = Http11SslContextSpec.forServer(keyManagers);
        String answer = "{\"schema\":" + TextNode.valueOf(GREETING_V1.toString()) + "}";
        return HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .secure(spec -> spec.sslContext(tls))
                .handle((request, response) -> response.status(200).sendString(Mono.just(answer)))
                .bindNow(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopTlsServers() {
        for (DisposableServer each : new DisposableServer[] {server, wrongName}) {
            if (each != null) {
                each.disposeNow(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void shouldRefuseATrustedCertificateIssuedForAnotherHost() {
        try (SchemaRegistryClient client =
                SchemaRegistryClients.create(withTruststore("https://127.0.0.1:" + wrongName.port()))) {
            SchemaRegistryException failure =
                    catchThrowableOfType(SchemaRegistryException.class, () -> client.getById(1));

            assertThat(failure)
                    .as("a certificate for elsewhere.invalid presented by 127.0.0.1")
                    .isNotNull();
            assertThat(failure.errorCode()).isEqualTo(SchemaRegistryException.NO_ERROR_CODE);
        }
    }

    @Test
    void shouldTrustTheRegistryThroughTheConfiguredTruststore() {
        try (SchemaRegistryClient client =
                SchemaRegistryClients.create(withTruststore("https://127.0.0.1:" + server.port()))) {
            assertThat(client.getById(1)).isEqualTo(GREETING_V1);
        }
    }

    @Test
    void shouldRefuseAnUntrustedCertificateWithinBoundedTime() {
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs("https://127.0.0.1:" + server.port());
        try (SchemaRegistryClient client = SchemaRegistryClients.create(configs)) {
            SchemaRegistryException failure =
                    catchThrowableOfType(SchemaRegistryException.class, () -> client.getById(1));

            assertThat(failure.errorCode()).isEqualTo(SchemaRegistryException.NO_ERROR_CODE);
            assertThat(failure).hasMessageContaining(RegistryClientConfig.SSL_TRUSTSTORE_LOCATION);
        }
    }

    @Test
    void shouldStillSpeakPlainHttpToAnHttpUrlWhenATruststoreIsConfigured() {
        try (EmbeddedSchemaRegistry plain = new EmbeddedSchemaRegistry(0).start();
                SchemaRegistryClient client = SchemaRegistryClients.create(withTruststore(plain.url()))) {
            int id = client.register("greetings-value", GREETING_V1);

            assertThat(client.getLatest("greetings-value").id()).isEqualTo(id);
        }
    }

    @Test
    void shouldGiveUpOnAHandshakeThatNeverEndsWithinTheConnectTimeout() throws IOException {
        giveUpOnASilentHandshake(RegistryTlsTest::withTruststore);
    }

    @Test
    void shouldGiveUpOnAHandshakeThatNeverEndsWithinTheConnectTimeoutWithTheJdksTruststore() throws IOException {
        giveUpOnASilentHandshake(url -> new HashMap<>(RestSchemaRegistryClientTest.configs(url)));
    }

    private static void giveUpOnASilentHandshake(Function<String, Map<String, Object>> configsFor) throws IOException {
        // Given: a port that accepts TCP connections (into its backlog) and never says a word of TLS
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, Object> configs = configsFor.apply("https://127.0.0.1:" + silent.getLocalPort());
            configs.put(RegistryClientConfig.HTTP_CONNECT_TIMEOUT_MS, 300);
            configs.put(RegistryClientConfig.HTTP_READ_TIMEOUT_MS, 3000);
            configs.put(RegistryClientConfig.CALL_TIMEOUT_MS, 4000);
            configs.put(RegistryClientConfig.MAX_RETRIES, 0);
            try (SchemaRegistryClient client = SchemaRegistryClients.create(configs)) {

                // When
                long start = System.nanoTime();
                SchemaRegistryException failure =
                        catchThrowableOfType(SchemaRegistryException.class, () -> client.getById(1));
                Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

                // Then: the handshake timeout (the connect timeout) ended it, not the read or call timeout
                assertThat(failure).hasMessageContaining("SslHandshakeTimeoutException");
                assertThat(failure.errorCode()).isEqualTo(SchemaRegistryException.NO_ERROR_CODE);
                assertThat(elapsed).isLessThan(Duration.ofMillis(3000));
            }
        }
    }

    @Test
    void shouldNameTheSettingAndTheFileButNotThePasswordWhenTheTruststoreDoesNotOpen() {
        Map<String, Object> configs = withTruststore("https://127.0.0.1:" + server.port());
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD, "not-the-store-password");

        assertThatThrownBy(() -> SchemaRegistryClients.create(configs))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(RegistryClientConfig.SSL_TRUSTSTORE_LOCATION + "=" + truststore)
                .hasMessageContaining(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD)
                .message()
                .doesNotContain("not-the-store-password", STORE_PASSWORD);
    }

    private static Map<String, Object> withTruststore(String url) {
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs(url);
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_LOCATION, truststore.toString());
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD, STORE_PASSWORD);
        configs.put(RegistryClientConfig.SSL_TRUSTSTORE_TYPE, "PKCS12");
        return configs;
    }

    private static void keytool(String... arguments) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean done = process.waitFor(30, TimeUnit.SECONDS);
        if (!done) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done && process.exitValue() == 0)
                .as("keytool %s: %s", arguments[0], output)
                .isTrue();
    }
}
