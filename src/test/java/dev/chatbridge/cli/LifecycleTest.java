package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LifecycleTest {

    private final CliContext context = new CliContext(
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(new StringWriter(), true),
            false);
    private final Lifecycle lifecycle = new Lifecycle(context, Duration.ofSeconds(5));
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicInteger checks = new AtomicInteger();
    private final Supplier<String> check = () -> {
        checks.incrementAndGet();
        return failure.get();
    };

    @Test
    void shouldReturnTheFailureWhenAStateChangeIsSignalledAndNotPollMeanwhile() throws Exception {
        // Given a command waiting for a stop or a failure
        Waiter waiter = Waiter.start(() -> lifecycle.awaitStopOrFailure(check));
        waiter.awaitParkedWithoutTimeout();
        assertThat(checks).as("failure checks before any state change").hasValue(1);

        // When the watched state fails and the change is signalled (what the Kafka Streams state listener does)
        failure.set("Kafka Streams stopped unexpectedly (state ERROR)");
        assertThat(waiter.result)
                .as("a changed state alone, without the signal, is not looked at")
                .isNotDone();
        lifecycle.recheck();

        // Then the wait ends with the failure, after exactly one more check
        assertThat(waiter.result.get(10, TimeUnit.SECONDS))
                .isEqualTo("Kafka Streams stopped unexpectedly (state ERROR)");
        assertThat(checks).hasValue(2);
    }

    @Test
    void shouldKeepWaitingWhenAStateChangeIsNoFailure() throws Exception {
        Waiter waiter = Waiter.start(() -> lifecycle.awaitStopOrFailure(check));
        waiter.awaitParkedWithoutTimeout();

        // When a state change that is no failure is signalled (REBALANCING -> RUNNING, say)
        lifecycle.recheck();

        // Then it looks again and waits on, again without a timeout
        await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 2);
        waiter.awaitParkedWithoutTimeout();
        assertThat(waiter.result).isNotDone();

        context.requestStop();
        assertThat(waiter.result.get(10, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void shouldReturnNullAtOnceWhenAStopIsRequested() throws Exception {
        Waiter waiter = Waiter.start(() -> lifecycle.awaitStopOrFailure(check));
        waiter.awaitParkedWithoutTimeout();

        context.requestStop();

        assertThat(waiter.result.get(10, TimeUnit.SECONDS)).isNull();
        assertThat(checks).as("a stop is not a failure check").hasValue(1);
    }

    @Test
    void shouldReturnAFailureThatIsThereBeforeTheWaitWithoutWaiting() {
        failure.set("stopped before the wait");

        assertThat(lifecycle.awaitStopOrFailure(check)).isEqualTo("stopped before the wait");
    }

    @Test
    void shouldReturnNullWhenTheStopCameBeforeTheWait() {
        context.requestStop();

        assertThat(lifecycle.awaitStopOrFailure(check)).isNull();
    }

    /** A thread of its own, so the test can see how it waits. */
    private record Waiter(Thread thread, CompletableFuture<String> result) {

        static Waiter start(Supplier<String> body) {
            CompletableFuture<String> result = new CompletableFuture<>();
            Thread thread = new Thread(() -> result.complete(body.get()), "lifecycle-test-waiter");
            thread.setDaemon(true);
            thread.start();
            return new Waiter(thread, result);
        }

        /** WAITING, not TIMED_WAITING: parked until woken, with no period after which it looks again. */
        void awaitParkedWithoutTimeout() {
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> thread.getState() == Thread.State.WAITING);
        }
    }
}
