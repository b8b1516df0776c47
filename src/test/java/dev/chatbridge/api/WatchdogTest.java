package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The three limits of {@link Watchdog}, checked by one timer at a time; real time, short limits. */
@Timeout(20)
class WatchdogTest {

    private static Watchdog watchdog(long firstByteMs, long idleMs, long deadlineMs) {
        return new Watchdog(
                Schedulers.parallel(),
                Duration.ofMillis(firstByteMs),
                Duration.ofMillis(idleMs),
                Duration.ofMillis(deadlineMs));
    }

    @Test
    void shouldNameTheFirstByteLimitWhenNoByteCame() {
        // Given
        Watchdog watchdog = watchdog(150, 10_000, 10_000);

        // When
        watchdog.start();

        // Then
        assertThat(watchdog.expired().block(Duration.ofSeconds(5))).startsWith("no byte of the answer within");
    }

    @Test
    void shouldNameTheIdleLimitOnlyAfterTheBytesStop() throws InterruptedException {
        // Given
        Watchdog watchdog = watchdog(10_000, 150, 10_000);
        AtomicReference<String> early = new AtomicReference<>();
        watchdog.expired().subscribe(early::set);
        watchdog.start();

        // When bytes come every 20 ms for 600 ms (four idle limits), then stop
        for (int i = 0; i < 30; i++) {
            watchdog.onBytes();
            Thread.sleep(20);
        }
        String whileFed = early.get();

        // Then
        assertThat(whileFed).as("expired while bytes kept coming").isNull();
        assertThat(watchdog.expired().block(Duration.ofSeconds(5))).startsWith("the answer stalled");
    }

    @Test
    void shouldNameTheIdleLimitBeforeAFarFirstByteLimitWhenAByteCameAndThenNothing() {
        // Given a first-byte limit far beyond the idle limit
        Watchdog watchdog = watchdog(60_000, 150, 60_000);
        watchdog.start();

        // When one byte comes at once, then nothing
        watchdog.onBytes();

        // Then the stall is seen about one idle limit later, not at the first-byte limit
        assertThat(watchdog.expired().block(Duration.ofSeconds(5))).startsWith("the answer stalled");
    }

    @Test
    void shouldNameTheDeadlineWhenBytesKeepComingForTooLong() throws InterruptedException {
        // Given
        Watchdog watchdog = watchdog(10_000, 200, 300);
        AtomicReference<String> expired = new AtomicReference<>();
        watchdog.expired().subscribe(expired::set);
        watchdog.start();

        // When bytes keep coming until something expires
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (expired.get() == null && System.nanoTime() < until) {
            watchdog.onBytes();
            Thread.sleep(20);
        }

        // Then
        assertThat(expired.get()).startsWith("the attempt took longer than attemptTimeout");
    }

    @Test
    void shouldEmitNothingOnceDisposed() {
        // Given
        Watchdog watchdog = watchdog(50, 50, 50);
        watchdog.start();

        // When
        watchdog.dispose();

        // Then: nothing within six times the limits
        Mono<String> expired = watchdog.expired();
        assertThatThrownBy(() -> expired.block(Duration.ofMillis(300))).isInstanceOf(IllegalStateException.class);
        assertThat(watchdog.isDisposed()).isTrue();
    }
}
