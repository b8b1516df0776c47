package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Mutual TLS with the API against a real loopback TLS server that requires a client certificate it trusts: certificates
 * made with the JDK's keytool, exported to PEM (certificates with {@code -exportcert -rfc}, keys as PKCS#8 written from
 * the PKCS12 store, one of them encrypted).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatClientMutualTlsTest extends ChatClientTestSupport {

    private static final String STORE_PASSWORD = "changeit-mtls";
    private static final String KEY_PASSWORD = "key-pass-DISTINCTIVE-9";

    @TempDir
    static Path dir;

    private static DisposableServer server;
    private static final AtomicInteger handled = new AtomicInteger();
    private static ChatClientConfig.TrustStore serverTrust;
    private static Pem trusted;
    private static Pem untrusted;
    private static Path trustedEncryptedKey;

    /** A client certificate (PEM) and its unencrypted PKCS#8 key (PEM). */
    private record Pem(Path certificate, Path key, PrivateKey privateKey, X509Certificate x509) {}

    @BeforeAll
    static void startServerRequiringClientCertificates() throws Exception {
        Pem serverPem = generate("api-server", "ip:127.0.0.1");
        trusted = generate("trusted-client", null);
        untrusted = generate("untrusted-client", null);
        trustedEncryptedKey = writeEncryptedKey(trusted.privateKey(), dir.resolve("trusted-client.enc.key.pem"));

        Path truststore = dir.resolve("server-trust.p12");
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "api-server",
                "-file",
                serverPem.certificate().toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                STORE_PASSWORD);
        serverTrust = new ChatClientConfig.TrustStore(truststore, STORE_PASSWORD, "PKCS12");

        SslContext tls = SslContextBuilder.forServer(serverPem.privateKey(), serverPem.x509())
                .trustManager(trusted.x509())
                .clientAuth(ClientAuth.REQUIRE)
                .build();
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .secure(spec -> spec.sslContext(tls))
                .handle((request, response) -> request.receive()
                        .then(Mono.defer(() -> {
                            handled.incrementAndGet();
                            return Mono.empty();
                        }))
                        .then(response.status(200)
                                .header("Content-Type", "application/json")
                                .sendString(Mono.just("{\"text\":\"mutual\"}"))
                                .then()))
                .bindNow(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }

    private String baseUrl() {
        return "https://127.0.0.1:" + server.port();
    }

    @Test
    void shouldAnswerWhenTheClientPresentsATrustedCertificate() {
        // When
        CallOutcome outcome = call(
                client(
                        baseUrl(),
                        b -> b.trustStore(serverTrust)
                                .clientCertificate(new ChatClientConfig.ClientCertificate(
                                        trusted.certificate(), trusted.key(), null))),
                request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.Success(
                        new ChatAnswer("mutual", List.of(), List.of(), List.of(), List.of(), null)));
    }

    @Test
    void shouldAnswerWithAnEncryptedKeyAndItsPassword() {
        // When
        CallOutcome outcome = call(
                client(
                        baseUrl(),
                        b -> b.trustStore(serverTrust)
                                .clientCertificate(new ChatClientConfig.ClientCertificate(
                                        trusted.certificate(), trustedEncryptedKey, KEY_PASSWORD))),
                request(null));

        // Then
        assertThat(outcome).isInstanceOf(CallOutcome.Success.class);
    }

    @Test
    void shouldFailAsATransportFailureWithoutAClientCertificate() {
        int before = handled.get();

        // When
        CallOutcome outcome = call(client(baseUrl(), b -> b.trustStore(serverTrust)), request(null));

        // Then: a retriable transport failure, no HTTP status, and the server handled nothing
        assertTransportFailure(outcome);
        assertThat(handled.get()).isEqualTo(before);
    }

    @Test
    void shouldFailAsATransportFailureWithAnUntrustedClientCertificate() {
        int before = handled.get();

        // When
        CallOutcome outcome = call(
                client(
                        baseUrl(),
                        b -> b.trustStore(serverTrust)
                                .clientCertificate(new ChatClientConfig.ClientCertificate(
                                        untrusted.certificate(), untrusted.key(), null))),
                request(null));

        // Then
        assertTransportFailure(outcome);
        assertThat(handled.get()).isEqualTo(before);
    }

    @Test
    void shouldRefuseAtBuildAWrongOrMissingKeyPasswordWithoutShowingIt() {
        assertThatThrownBy(() -> build(trusted.certificate(), trustedEncryptedKey, "not-the-password"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(trustedEncryptedKey.toString())
                .hasMessageContaining("chat.api.tls.client.key.password")
                .message()
                .doesNotContain("not-the-password", KEY_PASSWORD);
        assertThatThrownBy(() -> build(trusted.certificate(), trustedEncryptedKey, null))
                .hasMessageContaining("encrypted")
                .hasMessageContaining("chat.api.tls.client.key.password");
    }

    @Test
    void shouldRefuseAtBuildAKeyThatDoesNotBelongToTheCertificate() {
        assertThatThrownBy(() -> build(trusted.certificate(), untrusted.key(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong")
                .hasMessageContaining(untrusted.key().toString())
                .hasMessageContaining("CN=trusted-client");
    }

    @Test
    void shouldRefuseAtBuildFilesThatAreMissingOrNotPkcs8Pem() throws IOException {
        Path missing = dir.resolve("missing.pem");
        Path pkcs1 = Files.writeString(
                dir.resolve("pkcs1.key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");

        assertThatThrownBy(() -> build(missing, trusted.key(), null))
                .hasMessageContaining("client certificate file " + missing)
                .hasMessageContaining("check the path");
        assertThatThrownBy(() -> build(trusted.certificate(), missing, null))
                .hasMessageContaining("client key file " + missing);
        assertThatThrownBy(() -> build(trusted.certificate(), pkcs1, null))
                .hasMessageContaining("RSA PRIVATE KEY")
                .hasMessageContaining("openssl pkcs8 -topk8");
        assertThatThrownBy(() -> build(notPem, trusted.key(), null)).hasMessageContaining("no PEM CERTIFICATE");
        assertThatThrownBy(() -> build(trusted.certificate(), notPem, null)).hasMessageContaining("no PEM PRIVATE KEY");
    }

    private static void build(Path certificate, Path key, String password) {
        ChatClientConfig.builder()
                .baseUrl("https://127.0.0.1:1")
                .apiKey(ApiKey.of(KEY))
                .clientCertificate(new ChatClientConfig.ClientCertificate(certificate, key, password))
                .build();
    }

    private static void assertTransportFailure(CallOutcome outcome) {
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isNull();
            assertThat(failure.cause()).isEqualTo(CallOutcome.RetryCause.CONNECT);
            assertThat(failure.message()).startsWith("TLS with https://127.0.0.1:" + server.port() + " failed");
        });
    }

    // --- certificates ---

    /** A self-signed EC certificate and key, as PEM files; {@code san} may be null. */
    private static Pem generate(String alias, String san) throws Exception {
        Path keystore = dir.resolve(alias + ".p12");
        List<String> generate = new ArrayList<>(List.of(
                "-genkeypair",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + alias,
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                STORE_PASSWORD));
        if (san != null) {
            generate.addAll(List.of("-ext", "SAN=" + san));
        }
        keytool(generate.toArray(new String[0]));
        Path certificate = dir.resolve(alias + ".crt.pem");
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                alias,
                "-keystore",
                keystore.toString(),
                "-storepass",
                STORE_PASSWORD,
                "-file",
                certificate.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, STORE_PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey(alias, STORE_PASSWORD.toCharArray());
        Path keyFile = Files.writeString(dir.resolve(alias + ".key.pem"), pem("PRIVATE KEY", key.getEncoded()));
        return new Pem(certificate, keyFile, key, (X509Certificate) store.getCertificate(alias));
    }

    /** The key as PKCS#8 ENCRYPTED PRIVATE KEY, PBES2 with PBKDF2-HmacSHA256 and AES-256-CBC (openssl's default). */
    private static Path writeEncryptedKey(PrivateKey key, Path file) throws Exception {
        String algorithm = "PBEWithHmacSHA256AndAES_256";
        byte[] salt = new byte[16];
        byte[] iv = new byte[16];
        new SecureRandom().nextBytes(salt);
        new SecureRandom().nextBytes(iv);
        Cipher cipher = Cipher.getInstance(algorithm);
        cipher.init(
                Cipher.ENCRYPT_MODE,
                SecretKeyFactory.getInstance(algorithm).generateSecret(new PBEKeySpec(KEY_PASSWORD.toCharArray())),
                new PBEParameterSpec(salt, 10_000, new IvParameterSpec(iv)));
        byte[] encrypted = cipher.doFinal(key.getEncoded());
        // The JDK encodes the parameters under the PBES2 identifier only when they are named PBES2.
        AlgorithmParameters pbes2 = AlgorithmParameters.getInstance("PBES2");
        pbes2.init(cipher.getParameters().getEncoded());
        byte[] der = new EncryptedPrivateKeyInfo(pbes2, encrypted).getEncoded();
        return Files.writeString(file, pem("ENCRYPTED PRIVATE KEY", der));
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
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
