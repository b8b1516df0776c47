package dev.chatbridge.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.config.InvalidConfigurationException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class TlsClientContextTest {

    private static final String PASSWORD = "changeit";

    @TempDir
    Path dir;

    private static TlsClientContext.TrustStoreFile store(Path path, String type, String password) {
        return new TlsClientContext.TrustStoreFile(
                path, type, password == null ? null : password.toCharArray(), "x.location", "x.type", "x.password");
    }

    private static Path trustP12() throws Exception {
        return Path.of(TlsClientContextTest.class.getResource("/tls/trust.p12").toURI());
    }

    @Test
    void shouldBuildAContextFromAReadableTruststoreOrTheJdkTrust() throws Exception {
        assertThat(TlsClientContext.create(store(trustP12(), "PKCS12", PASSWORD), null, Duration.ofSeconds(2))
                        .handshakeTimeout())
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(TlsClientContext.create(null, null, Duration.ofSeconds(1))).isNotNull();
    }

    @Test
    void shouldNameTheSettingsAndTheFileButNeverThePassword() throws Exception {
        Path missing = dir.resolve("missing.p12");

        assertThatThrownBy(() ->
                        TlsClientContext.create(store(missing, "PKCS12", "s3cret-pw"), null, Duration.ofSeconds(1)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("x.location=" + missing)
                .hasMessageContaining("NoSuchFileException")
                .message()
                .doesNotContain("s3cret-pw");
        assertThatThrownBy(() ->
                        TlsClientContext.create(store(trustP12(), "PKCS12", "wrong-pw"), null, Duration.ofSeconds(1)))
                .hasMessageContaining("x.location=" + trustP12())
                .hasMessageContaining("as a PKCS12 truststore")
                .hasMessageContaining("x.type and x.password")
                .message()
                .doesNotContain("wrong-pw");
        assertThatThrownBy(
                        () -> TlsClientContext.create(store(trustP12(), "NOPE", PASSWORD), null, Duration.ofSeconds(1)))
                .hasMessageContaining("x.location=" + trustP12())
                .hasMessageContaining("as a NOPE truststore")
                .message()
                .doesNotContain(PASSWORD);
    }

    @Test
    void shouldHideThePasswordWhenShown() throws Exception {
        assertThat(store(trustP12(), "PKCS12", "s3cret-pw").toString())
                .contains("x.password=[hidden]")
                .doesNotContain("s3cret-pw");
    }

    @Test
    void shouldRefuseAHandshakeTimeoutThatIsNotPositive() {
        assertThatThrownBy(() -> TlsClientContext.create(null, null, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("handshakeTimeout");
    }
}
