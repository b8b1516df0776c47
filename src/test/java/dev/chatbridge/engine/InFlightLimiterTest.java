package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class InFlightLimiterTest {

    @Test
    void shouldNeverHandOutMorePermitsThanTheLimitUnderConcurrentAcquireAndRelease() throws Exception {
        // Given 8 threads (tasks) competing for 3 permits, releasing from another pool (like Netty)
        InFlightLimiter limiter = new InFlightLimiter(3);
        AtomicInteger held = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        ExecutorService tasks = Executors.newFixedThreadPool(8);
        ExecutorService netty = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                futures.add(tasks.submit(() -> {
                    // a task: asks for permits, waits for a grant when none is free
                    Semaphore signal = new Semaphore(0);
                    InFlightLimiter.Waiter w = limiter.register("task-" + id, signal::release);
                    int acquired = 0;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (acquired < 500 && System.nanoTime() < deadline) {
                        if (limiter.tryAcquire(w)) {
                            acquired++;
                            peak.accumulateAndGet(held.incrementAndGet(), Math::max);
                            netty.execute(() -> {
                                held.decrementAndGet();
                                limiter.release();
                            });
                        } else {
                            // like a stream thread: wait for the grant signal, bounded
                            signal.tryAcquire(10, TimeUnit.MILLISECONDS);
                        }
                    }
                    limiter.unregister(w);
                    return acquired;
                }));
            }
            // When every task has asked for 500 permits
            int total = 0;
            for (Future<?> f : futures) {
                total += (Integer) f.get(20, TimeUnit.SECONDS);
            }
            netty.shutdown();
            assertThat(netty.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

            // Then all were served, never more than 3 at once, and every permit came back
            assertThat(total).isEqualTo(8 * 500);
            assertThat(peak.get()).as("permits held at once").isLessThanOrEqualTo(3);
            assertThat(limiter.peak()).isLessThanOrEqualTo(3);
            assertThat(limiter.inUse()).isZero();
        } finally {
            tasks.shutdownNow();
            netty.shutdownNow();
        }
    }

    @Test
    void shouldServeWaitingTasksRoundRobinSoAGreedyTaskCannotStarveOthers() {
        // Given one permit, held; a greedy task and two quiet ones all waiting, in that order
        InFlightLimiter limiter = new InFlightLimiter(1);
        ConcurrentLinkedQueue<String> grants = new ConcurrentLinkedQueue<>();
        InFlightLimiter.Waiter holder = limiter.register("holder", () -> { });
        InFlightLimiter.Waiter greedy = limiter.register("greedy", () -> grants.add("greedy"));
        InFlightLimiter.Waiter quiet1 = limiter.register("quiet1", () -> grants.add("quiet1"));
        InFlightLimiter.Waiter quiet2 = limiter.register("quiet2", () -> grants.add("quiet2"));
        assertThat(limiter.tryAcquire(holder)).isTrue();
        assertThat(limiter.tryAcquire(greedy)).isFalse();
        assertThat(limiter.tryAcquire(greedy)).as("asking twice does not queue twice").isFalse();
        assertThat(limiter.tryAcquire(quiet1)).isFalse();
        assertThat(limiter.tryAcquire(quiet2)).isFalse();

        // When the permit goes round and the greedy task asks again as soon as it has it
        for (int round = 0; round < 6; round++) {
            limiter.release();
            String next = grants.peek() == null ? null : List.copyOf(grants).get(grants.size() - 1);
            InFlightLimiter.Waiter w = "greedy".equals(next) ? greedy : "quiet1".equals(next) ? quiet1 : quiet2;
            assertThat(limiter.tryAcquire(w)).as("the granted task gets its permit").isTrue();
            assertThat(limiter.tryAcquire(w)).as("and queues again at the tail").isFalse();
        }

        // Then grants went round robin
        assertThat(grants).containsExactly("greedy", "quiet1", "quiet2", "greedy", "quiet1", "quiet2");
        assertThat(limiter.inUse()).isEqualTo(1);
    }

    @Test
    void shouldPassGrantsOfAClosedTaskToTheNextWaiter() throws Exception {
        InFlightLimiter limiter = new InFlightLimiter(1);
        CountDownLatch secondGranted = new CountDownLatch(1);
        InFlightLimiter.Waiter first = limiter.register("first", () -> { });
        InFlightLimiter.Waiter second = limiter.register("second", secondGranted::countDown);
        InFlightLimiter.Waiter holder = limiter.register("holder", () -> { });
        assertThat(limiter.tryAcquire(holder)).isTrue();
        assertThat(limiter.tryAcquire(first)).isFalse();
        assertThat(limiter.tryAcquire(second)).isFalse();

        limiter.release();
        limiter.unregister(first);

        assertThat(secondGranted.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(limiter.tryAcquire(second)).isTrue();
        assertThat(limiter.tryAcquire(first)).as("an unregistered task gets nothing").isFalse();
    }

    @Test
    void shouldRefuseMoreReleasesThanAcquires() {
        InFlightLimiter limiter = new InFlightLimiter(2);
        assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new InFlightLimiter(0)).hasMessageContaining("at least 1");
    }
}
