package dev.chatbridge.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration THIRTY_SECONDS = Duration.ofSeconds(30);

    @Test
    void shouldDoubleFromTheFirstWaitUpToTheCap() {
        assertThat(Backoff.exponential(SECOND, THIRTY_SECONDS, 1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(Backoff.exponential(SECOND, THIRTY_SECONDS, 2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Backoff.exponential(SECOND, THIRTY_SECONDS, 3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(Backoff.exponential(SECOND, THIRTY_SECONDS, 5)).isEqualTo(Duration.ofSeconds(16));
        assertThat(Backoff.exponential(SECOND, THIRTY_SECONDS, 6)).isEqualTo(THIRTY_SECONDS);
    }

    @Test
    void shouldStayAtTheCapForAnyLaterStepWithoutOverflowing() {
        for (int step : new int[] {7, 31, 32, 62, 63, 64, 1_000, Integer.MAX_VALUE}) {
            assertThat(Backoff.exponential(SECOND, THIRTY_SECONDS, step))
                    .as("step %d", step)
                    .isEqualTo(THIRTY_SECONDS);
        }
        Duration huge = Duration.ofDays(365 * 200);
        assertThat(Backoff.exponential(huge, huge, 40)).isEqualTo(huge);
    }

    @Test
    void shouldKeepSubMillisecondPrecisionAndCapAFirstWaitAboveTheCap() {
        assertThat(Backoff.exponential(Duration.ofNanos(3), Duration.ofNanos(100), 3))
                .isEqualTo(Duration.ofNanos(12));
        assertThat(Backoff.exponential(Duration.ofSeconds(5), SECOND, 1)).isEqualTo(SECOND);
        assertThat(Backoff.exponential(Duration.ZERO, SECOND, 10)).isZero();
    }

    @Test
    void shouldTakeACapPastLongNanosecondsAsNoCap() {
        Duration noCap = Duration.ofMillis(Long.MAX_VALUE);

        assertThat(Backoff.exponential(Duration.ofSeconds(1), noCap, 3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(Backoff.exponential(Duration.ofSeconds(1), noCap, 100)).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
    }

    @Test
    void shouldRefuseAStepBelowOneAndNegativeDurations() {
        assertThatThrownBy(() -> Backoff.exponential(SECOND, THIRTY_SECONDS, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("step");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(-1), THIRTY_SECONDS, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
