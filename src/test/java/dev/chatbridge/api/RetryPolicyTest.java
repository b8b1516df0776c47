package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private static RetryPolicy policy(int maxAttempts, long seed) {
        return new RetryPolicy(
                maxAttempts,
                Duration.ofMillis(100),
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                Duration.ofMinutes(2),
                new Random(seed));
    }

    @Test
    void shouldStayWithinTheExponentialCeilingForEachAttempt() {
        RetryPolicy policy = policy(20, 42);
        for (int attempts = 1; attempts < 20; attempts++) {
            long ceiling = Math.min(5_000, 100L << Math.min(attempts - 1, 30));
            for (int i = 0; i < 200; i++) {
                Duration delay = policy.nextDelay(attempts, Duration.ZERO, null).orElseThrow();
                assertThat(delay.toMillis())
                        .as("delay after %d attempts", attempts)
                        .isBetween(0L, ceiling);
            }
        }
    }

    @Test
    void shouldSpreadDelaysOverTheWholeJitterRange() {
        RetryPolicy policy = policy(10, 7);
        long max = 0;
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 2_000; i++) {
            long delay = policy.nextDelay(4, Duration.ZERO, null).orElseThrow().toMillis();
            max = Math.max(max, delay);
            min = Math.min(min, delay);
        }
        assertThat(min).as("smallest of 2000 jittered delays (ceiling 800 ms)").isLessThan(80);
        assertThat(max).as("largest of 2000 jittered delays (ceiling 800 ms)").isGreaterThan(720);
    }

    @Test
    void shouldGiveTheSameDelaysForTheSameSeed() {
        List<Optional<Duration>> first = new ArrayList<>();
        List<Optional<Duration>> second = new ArrayList<>();
        RetryPolicy a = policy(8, 99);
        RetryPolicy b = policy(8, 99);
        for (int attempts = 1; attempts <= 8; attempts++) {
            first.add(a.nextDelay(attempts, Duration.ZERO, null));
            second.add(b.nextDelay(attempts, Duration.ZERO, null));
        }
        assertThat(first).isEqualTo(second);
    }

    @Test
    void shouldStopAfterMaxAttempts() {
        RetryPolicy policy = policy(3, 1);
        assertThat(policy.nextDelay(2, Duration.ZERO, null)).isPresent();
        assertThat(policy.nextDelay(3, Duration.ZERO, null))
                .as("after the third of three attempts")
                .isEmpty();
    }

    @Test
    void shouldHonourRetryAfterAboveTheBackoff() {
        RetryPolicy policy = policy(5, 3);
        Duration delay =
                policy.nextDelay(1, Duration.ZERO, Duration.ofSeconds(7)).orElseThrow();
        assertThat(delay).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void shouldCapRetryAfterAtTheConfiguredMaximum() {
        RetryPolicy policy = policy(5, 3);
        Duration delay = policy.nextDelay(1, Duration.ZERO, Duration.ofHours(1)).orElseThrow();
        assertThat(delay).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void shouldGiveUpWhenTheNextAttemptWouldStartPastTheTotalTime() {
        RetryPolicy policy = policy(50, 3);
        assertThat(policy.nextDelay(2, Duration.ofSeconds(100), Duration.ofSeconds(25)))
                .as("100 s spent + 25 s asked > 120 s budget")
                .isEmpty();
        assertThat(policy.nextDelay(2, Duration.ofSeconds(80), Duration.ofSeconds(25)))
                .isPresent();
    }

    @Test
    void shouldRejectNonsensicalSettings() {
        assertThatThrownBy(() -> policy(0, 1)).hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> new RetryPolicy(
                        3,
                        Duration.ZERO,
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1),
                        new Random()))
                .hasMessageContaining("initialBackoff");
    }
}
