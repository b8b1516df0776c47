package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class SimulatorConfigTest {

    @Test
    void shouldNeverShowTheKeysInToString() {
        SimulatorConfig config =
                SimulatorConfig.builder().apiKeys("s3cr3t-key", "other-secret").build();
        assertThat(config.toString())
                .doesNotContain("s3cr3t")
                .doesNotContain("other-secret")
                .contains("2 redacted");
        assertThat(config.accepts("s3cr3t-key")).isTrue();
        assertThat(config.accepts("nope")).isFalse();
    }

    @Test
    void shouldUseDocumentedDefaults() {
        SimulatorConfig config = SimulatorConfig.builder().build();
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isZero();
        assertThat(config.chunks()).isEqualTo(5);
        assertThat(config.chunkInterval()).isEqualTo(Duration.ofMillis(20));
        assertThat(config.maxStall()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.maxRecordedCalls()).isEqualTo(10_000);
        assertThat(config.faultRates()).isEqualTo(FaultRates.NONE);
    }

    @Test
    void shouldMatchRefusedAccountsExactlyAndDomainsIgnoringCase() {
        SimulatorConfig config = SimulatorConfig.builder()
                .refusedAccounts(List.of("Alice@Example.com", " @Corp.Example "))
                .build();

        assertThat(config.refuses("alice@example.com")).isTrue();
        assertThat(config.refuses("ALICE@EXAMPLE.COM")).isTrue();
        assertThat(config.refuses("bob@corp.example")).isTrue();
        assertThat(config.refuses("Bob@CORP.example")).isTrue();
        assertThat(config.refuses("alice@example.org")).isFalse();
        assertThat(config.refuses("malice@example.com.au")).isFalse();
        assertThat(config.refuses("bob@eu.corp.example")).as("a subdomain").isFalse();
        assertThat(config.refuses("@corp.example")).as("the bare domain").isFalse();
        assertThat(config.refuses(null)).isFalse();
        assertThat(config.refuses(" ")).isFalse();
        assertThat(SimulatorConfig.builder().build().refuses("alice@example.com"))
                .isFalse();
        assertThat(config.toString()).contains("refusedAccounts=[alice@example.com, @corp.example]");
    }

    @Test
    void shouldDefaultToNoRefusedAccountAndSixteenAndAHalfMebibytesOfHugeAnswer() {
        SimulatorConfig config = SimulatorConfig.builder().build();
        assertThat(config.refusedAccounts()).isEmpty();
        assertThat(config.hugeAnswerBytes()).isEqualTo(17_300_000);
    }

    @Test
    void shouldRejectBlankRefusedAccountsAndABareAt() {
        assertThatThrownBy(() -> SimulatorConfig.builder().refusedAccounts("").build())
                .hasMessageContaining("refusedAccounts");
        assertThatThrownBy(() -> SimulatorConfig.builder().refusedAccounts("@").build())
                .hasMessageContaining("refusedAccounts");
        assertThatThrownBy(() -> SimulatorConfig.builder()
                        .refusedAccounts("a b@example.com")
                        .build())
                .hasMessageContaining("refusedAccounts");
        assertThatThrownBy(
                        () -> SimulatorConfig.builder().hugeAnswerBytes(1_023).build())
                .hasMessageContaining("hugeAnswerBytes");
    }

    @Test
    void shouldRejectInvalidSettingsNamingThem() {
        assertThatThrownBy(() -> SimulatorConfig.builder().chunks(0).build()).hasMessageContaining("chunks");
        assertThatThrownBy(() -> SimulatorConfig.builder().port(70_000).build()).hasMessageContaining("port");
        assertThatThrownBy(() -> SimulatorConfig.builder().apiKeys().build()).hasMessageContaining("apiKeys");
        assertThatThrownBy(() -> SimulatorConfig.builder()
                        .maxStall(Duration.ofSeconds(1))
                        .build())
                .hasMessageContaining("maxStall");
        assertThatThrownBy(() -> new FaultRates(0.6, 1, 0.6, 0, 1, 0)).hasMessageContaining("at most 1");
        assertThatThrownBy(() -> new FaultRates(0, 1, 0, 0, 0, 0)).hasMessageContaining("burstLength");
    }

    @Test
    void shouldHaveNoQuotaByDefaultAndRejectQuotasOutOfRangeNamingThem() {
        SimulatorConfig config = SimulatorConfig.builder().build();
        assertThat(config.maxConcurrent()).isZero();
        assertThat(config.maxRequestsPerSecond()).isZero();
        assertThat(config.retryAfterSeconds()).isEqualTo(1);
        assertThat(config.queueingCapacity()).isZero();
        assertThat(config.burstCalls()).isZero();

        assertThatThrownBy(() -> SimulatorConfig.builder().maxConcurrent(-1).build())
                .hasMessageContaining("maxConcurrent");
        assertThatThrownBy(() -> SimulatorConfig.builder()
                        .maxRequestsPerSecond(1_000_001)
                        .build())
                .hasMessageContaining("maxRequestsPerSecond");
        assertThatThrownBy(() ->
                        SimulatorConfig.builder().retryAfterSeconds(86_401).build())
                .hasMessageContaining("retryAfterSeconds");
        assertThatThrownBy(() -> SimulatorConfig.builder().queueingCapacity(-1).build())
                .hasMessageContaining("queueingCapacity");
        assertThatThrownBy(
                        () -> SimulatorConfig.builder().retryAfterBurst(-1, 1).build())
                .hasMessageContaining("retryAfterBurst calls");
        assertThatThrownBy(
                        () -> SimulatorConfig.builder().retryAfterBurst(1, -1).build())
                .hasMessageContaining("retryAfterBurst seconds");
    }
}
