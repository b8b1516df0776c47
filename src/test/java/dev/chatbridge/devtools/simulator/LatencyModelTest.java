package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LatencyModelTest {

    @Test
    void shouldMatchConfiguredPercentilesWhenSampledWithASeed() {
        // Given a log-normal model with p50 200 ms and p99 2 s
        LatencyModel model = LatencyModel.logNormal(Duration.ofMillis(200), Duration.ofSeconds(2));
        Random random = new Random(1234);

        // When sampling 2000 delays
        long[] millis = new long[2000];
        for (int i = 0; i < millis.length; i++) {
            millis[i] = model.sample(random).toMillis();
        }
        Arrays.sort(millis);

        // Then the empirical median and 99th percentile are near the configured ones
        assertThat((double) millis[999]).as("empirical p50 in ms").isCloseTo(200.0, within(200.0 * 0.10));
        assertThat((double) millis[1979]).as("empirical p99 in ms").isCloseTo(2000.0, within(2000.0 * 0.25));
        assertThat(millis[0]).as("smallest delay").isPositive();
    }

    @Test
    void shouldDeriveMuAndSigmaFromThePercentiles() {
        LatencyModel.LogNormal model = new LatencyModel.LogNormal(Duration.ofMillis(100), Duration.ofMillis(1000));

        assertThat(model.mu()).isCloseTo(Math.log(100_000_000.0), within(1e-9));
        assertThat(model.sigma()).isCloseTo(Math.log(10.0) / 2.3263, within(1e-9));
    }

    @Test
    void shouldGiveTheSameDelaysForTheSameSeed() {
        LatencyModel model = LatencyModel.logNormal(Duration.ofMillis(50), Duration.ofMillis(500));
        Random a = new Random(7);
        Random b = new Random(7);
        for (int i = 0; i < 100; i++) {
            assertThat(model.sample(a)).isEqualTo(model.sample(b));
        }
    }

    @Test
    void shouldCapSamplesAtTenTimesP99() {
        LatencyModel model = LatencyModel.logNormal(Duration.ofMillis(1), Duration.ofMillis(100));
        Random random = new Random(99);
        for (int i = 0; i < 5000; i++) {
            assertThat(model.sample(random)).isLessThanOrEqualTo(Duration.ofSeconds(1));
        }
    }

    @Test
    void shouldAlwaysGiveTheFixedDelay() {
        LatencyModel model = LatencyModel.fixed(Duration.ofMillis(30));
        assertThat(model.sample(new Random(1))).isEqualTo(Duration.ofMillis(30));
    }

    @Test
    void shouldRejectInconsistentPercentiles() {
        assertThatThrownBy(() -> LatencyModel.logNormal(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("p99");
        assertThatThrownBy(() -> LatencyModel.logNormal(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("p50");
        assertThatThrownBy(() -> LatencyModel.fixed(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
