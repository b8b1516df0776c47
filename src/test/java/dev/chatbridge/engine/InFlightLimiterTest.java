package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.scheduler.Schedulers;

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
        InFlightLimiter.Waiter holder = limiter.register("holder", () -> {});
        InFlightLimiter.Waiter greedy = limiter.register("greedy", () -> grants.add("greedy"));
        InFlightLimiter.Waiter quiet1 = limiter.register("quiet1", () -> grants.add("quiet1"));
        InFlightLimiter.Waiter quiet2 = limiter.register("quiet2", () -> grants.add("quiet2"));
        assertThat(limiter.tryAcquire(holder)).isTrue();
        assertThat(limiter.tryAcquire(greedy)).isFalse();
        assertThat(limiter.tryAcquire(greedy))
                .as("asking twice does not queue twice")
                .isFalse();
        assertThat(limiter.tryAcquire(quiet1)).isFalse();
        assertThat(limiter.tryAcquire(quiet2)).isFalse();

        // When the permit goes round and the greedy task asks again as soon as it has it
        for (int round = 0; round < 6; round++) {
            limiter.release();
            String next = grants.peek() == null ? null : List.copyOf(grants).get(grants.size() - 1);
            InFlightLimiter.Waiter w = "greedy".equals(next) ? greedy : "quiet1".equals(next) ? quiet1 : quiet2;
            assertThat(limiter.tryAcquire(w))
                    .as("the granted task gets its permit")
                    .isTrue();
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
        InFlightLimiter.Waiter first = limiter.register("first", () -> {});
        InFlightLimiter.Waiter second = limiter.register("second", secondGranted::countDown);
        InFlightLimiter.Waiter holder = limiter.register("holder", () -> {});
        assertThat(limiter.tryAcquire(holder)).isTrue();
        assertThat(limiter.tryAcquire(first)).isFalse();
        assertThat(limiter.tryAcquire(second)).isFalse();

        limiter.release();
        limiter.unregister(first);

        assertThat(secondGranted.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(limiter.tryAcquire(second)).isTrue();
        assertThat(limiter.tryAcquire(first))
                .as("an unregistered task gets nothing")
                .isFalse();
    }

    @Test
    void shouldRefuseMoreReleasesThanAcquires() {
        InFlightLimiter limiter = new InFlightLimiter(2);
        assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new InFlightLimiter(0)).hasMessageContaining("at least 1");
    }

    // --- armed calls: a released permit starts a prepared call on the releasing thread ---

    private static InFlightLimiter.Armed armed(List<String> fired, String name) {
        return () -> {
            fired.add(name);
            return true;
        };
    }

    @Test
    void shouldStartAnArmedCallOnTheReleasingThreadInsteadOfWakingItsTask() {
        // Given a full limiter and a task that armed two calls
        InFlightLimiter limiter = new InFlightLimiter(1);
        AtomicInteger wakeUps = new AtomicInteger();
        InFlightLimiter.Waiter w = limiter.register("task", wakeUps::incrementAndGet);
        assertThat(limiter.tryAcquire(w)).isTrue();
        List<String> fired = new ArrayList<>();
        assertThat(limiter.tryAcquire(w)).isFalse();
        assertThat(limiter.arm(w, armed(fired, "a"))).isFalse();
        assertThat(limiter.arm(w, armed(fired, "b"))).isFalse();

        // When the permit is released twice
        limiter.release();
        limiter.release();

        // Then the armed calls started in order, each with the permit, and nobody was woken
        assertThat(fired).containsExactly("a", "b");
        assertThat(wakeUps).hasValue(0);
        assertThat(limiter.inUse()).isEqualTo(1);
        assertThat(limiter.armed()).isZero();
    }

    @Test
    void shouldServeArmedCallsOfWaitingTasksRoundRobin() {
        // Given two tasks with three armed calls each behind a full limiter
        InFlightLimiter limiter = new InFlightLimiter(1);
        InFlightLimiter.Waiter a = limiter.register("a", () -> {});
        InFlightLimiter.Waiter b = limiter.register("b", () -> {});
        assertThat(limiter.tryAcquire(a)).isTrue();
        List<String> fired = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            limiter.tryAcquire(a);
            limiter.arm(a, armed(fired, "a" + i));
            limiter.tryAcquire(b);
            limiter.arm(b, armed(fired, "b" + i));
        }

        // When six permits are released one after another
        for (int i = 0; i < 6; i++) {
            limiter.release();
        }

        // Then the tasks took turns
        assertThat(fired).containsExactly("a1", "b1", "a2", "b2", "a3", "b3");
    }

    @Test
    void shouldStartAnotherTasksArmedCallRatherThanGrantAPermitThatWouldIdleUntilTheHeadsStreamThreadReturns() {
        // Given a full limiter, task a queued first with nothing armed, task b queued behind it with an armed call
        InFlightLimiter limiter = new InFlightLimiter(1);
        AtomicInteger wakeUpsOfA = new AtomicInteger();
        InFlightLimiter.Waiter a = limiter.register("a", wakeUpsOfA::incrementAndGet);
        InFlightLimiter.Waiter b = limiter.register("b", () -> {});
        assertThat(limiter.tryAcquire(b)).isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
        List<String> fired = new ArrayList<>();
        assertThat(limiter.tryAcquire(b)).isFalse();
        assertThat(limiter.arm(b, armed(fired, "b1"))).isFalse();

        // When the permit is released
        limiter.release();

        // Then b's armed call started at once, and a kept its place without an idle grant
        assertThat(fired).containsExactly("b1");
        assertThat(wakeUpsOfA).hasValue(0);
        assertThat(limiter.inUse()).isEqualTo(1);

        // And when a arms a call, the next permit goes to it (still first in the queue)
        assertThat(limiter.arm(a, armed(fired, "a1"))).isFalse();
        assertThat(limiter.tryAcquire(b)).isFalse();
        assertThat(limiter.arm(b, armed(fired, "b2"))).isFalse();
        limiter.release();
        assertThat(fired).containsExactly("b1", "a1");

        // And a permit released while nothing is armed is granted to the head waiter, as before
        limiter.release();
        assertThat(fired).containsExactly("b1", "a1", "b2");
        limiter.tryAcquire(a);
        limiter.release();
        assertThat(wakeUpsOfA).hasValue(1);
        assertThat(limiter.inUse()).isEqualTo(1);
    }

    @Test
    void shouldKeepEachQueuedWaiterToItsShareOfArmedCallsSoThatNoneIsLeftWithNothingArmed() {
        // Given four permits in use and task a queued alone: it may arm up to all four
        InFlightLimiter limiter = new InFlightLimiter(4);
        InFlightLimiter.Waiter a = limiter.register("a", () -> {});
        InFlightLimiter.Waiter b = limiter.register("b", () -> {});
        for (int i = 0; i < 4; i++) {
            assertThat(limiter.tryAcquire(a)).isTrue();
        }
        List<String> fired = new ArrayList<>();
        assertThat(limiter.tryAcquire(a)).isFalse();
        assertThat(limiter.canArm(a)).isTrue();
        limiter.arm(a, armed(fired, "a1"));
        limiter.arm(a, armed(fired, "a2"));
        limiter.arm(a, armed(fired, "a3"));

        // When b queues too
        assertThat(limiter.tryAcquire(b)).isFalse();

        // Then a may arm no more than its half, b may arm its share
        assertThat(limiter.canArm(a)).as("a holds 3 of 4, its share is 2").isFalse();
        assertThat(limiter.canArm(b)).isTrue();
        limiter.arm(b, armed(fired, "b1"));

        // And releases serve a's oldest, then b (round robin), then a again
        limiter.release();
        limiter.release();
        limiter.release();
        assertThat(fired).containsExactly("a1", "b1", "a2");
    }

    @Test
    void shouldPassThePermitOnWhenAnArmedCallWasCancelled() {
        // Given a cancelled armed call before a live one
        InFlightLimiter limiter = new InFlightLimiter(1);
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        assertThat(limiter.tryAcquire(w)).isTrue();
        List<String> fired = new ArrayList<>();
        limiter.tryAcquire(w);
        limiter.arm(w, () -> false);
        limiter.arm(w, armed(fired, "live"));

        // When the permit is released
        limiter.release();

        // Then the live call got it
        assertThat(fired).containsExactly("live");
        assertThat(limiter.inUse()).isEqualTo(1);
    }

    @Test
    void shouldGrantInsteadOfFiringWhileFiringIsNotAllowed() {
        // Given armed calls while dispatching is paused
        AtomicBoolean open = new AtomicBoolean(false);
        InFlightLimiter limiter = new InFlightLimiter(1, open::get);
        AtomicInteger wakeUps = new AtomicInteger();
        InFlightLimiter.Waiter w = limiter.register("task", wakeUps::incrementAndGet);
        assertThat(limiter.tryAcquire(w)).isTrue();
        List<String> fired = new ArrayList<>();
        limiter.tryAcquire(w);
        limiter.arm(w, armed(fired, "a"));

        // When the permit is released
        limiter.release();

        // Then nothing fired; the task was woken with a grant (its stream thread decides), and can disarm
        assertThat(fired).isEmpty();
        assertThat(wakeUps).hasValue(1);
        assertThat(limiter.disarm(w)).hasSize(1);
        assertThat(limiter.armed()).isZero();
        limiter.returnGrants(w);
        assertThat(limiter.inUse()).isZero();
    }

    @Test
    void shouldNotGrowTheStackWhenArmedCallsCompleteAtOnce() {
        // Given 20,000 armed calls whose calls complete synchronously (releasing their permit inside fire)
        InFlightLimiter limiter = new InFlightLimiter(1);
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        assertThat(limiter.tryAcquire(w)).isTrue();
        AtomicInteger fired = new AtomicInteger();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            limiter.tryAcquire(w);
            assertThat(limiter.arm(w, () -> {
                        fired.incrementAndGet();
                        limiter.release();
                        return true;
                    }))
                    .isFalse();
        }

        // When the first permit is released
        limiter.release();

        // Then every armed call ran, without a StackOverflowError, and the permit is back in the pool
        assertThat(fired).hasValue(n);
        assertThat(limiter.inUse()).isZero();
    }

    @Test
    void shouldDropArmedCallsOfAnUnregisteredWaiterAndNotArmAnyMore() {
        // Given a task with an armed call
        InFlightLimiter limiter = new InFlightLimiter(1);
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        assertThat(limiter.tryAcquire(w)).isTrue();
        List<String> fired = new ArrayList<>();
        limiter.tryAcquire(w);
        limiter.arm(w, armed(fired, "a"));

        // When it is unregistered and the permit released
        limiter.unregister(w);
        limiter.release();

        // Then the armed call never ran and the permit is free
        assertThat(fired).isEmpty();
        assertThat(limiter.armed()).isZero();
        assertThat(limiter.inUse()).isZero();
        assertThat(limiter.arm(w, armed(fired, "late"))).isFalse();
        assertThat(limiter.armed()).isZero();
    }

    @Test
    void shouldRetirePermitsAsCallsEndAfterTheLimitWasLowered() {
        // Given four calls in flight of a limit of four, and a task waiting with an armed call
        InFlightLimiter limiter = new InFlightLimiter(4);
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        for (int i = 0; i < 4; i++) {
            assertThat(limiter.tryAcquire(w)).isTrue();
        }
        List<String> fired = new ArrayList<>();
        assertThat(limiter.tryAcquire(w)).isFalse();
        assertThat(limiter.arm(w, armed(fired, "a"))).isFalse();

        // When the limit drops to two and three calls end
        limiter.setLimit(2);
        limiter.release();
        limiter.release();
        assertThat(fired).as("while more than the new limit are in use").isEmpty();
        limiter.release();

        // Then the first two releases retired their permits, the third went to the armed call
        assertThat(fired).containsExactly("a");
        assertThat(limiter.inUse()).isEqualTo(2);
        assertThat(limiter.limit()).isEqualTo(2);
        assertThat(limiter.max()).isEqualTo(4);
    }

    @Test
    void shouldStartArmedCallsAtOnceWhenTheLimitIsRaised() {
        // Given a limit lowered to one, one call in flight and three armed calls
        InFlightLimiter limiter = new InFlightLimiter(8);
        limiter.setLimit(1);
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        assertThat(limiter.tryAcquire(w)).isTrue();
        List<String> fired = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            limiter.tryAcquire(w);
            limiter.arm(w, armed(fired, name));
        }

        // When the limit is raised to three (and beyond the ceiling, which clamps it)
        limiter.setLimit(3);

        // Then two armed calls started without any release, the third waits
        assertThat(fired).containsExactly("a", "b");
        assertThat(limiter.inUse()).isEqualTo(3);
        limiter.setLimit(100);
        assertThat(fired).containsExactly("a", "b", "c");
        assertThat(limiter.limit()).isEqualTo(8);
    }

    @Test
    void shouldHoldStartsBackWhileTheGateIsShutAndStartThemWhenItOpens() {
        // Given a gate shut for the next 200 ms, and a limiter with free permits
        AtomicLong openAt = new AtomicLong(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200));
        InFlightLimiter.Gate gate = () -> Math.max(0, openAt.get() - System.nanoTime());
        InFlightLimiter limiter = new InFlightLimiter(4, () -> true, gate, Schedulers.single());
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        List<String> fired = new CopyOnWriteArrayList<>();

        // When the task asks for a permit and arms two calls
        long asked = System.nanoTime();
        assertThat(limiter.tryAcquire(w)).isFalse();
        assertThat(limiter.arm(w, armed(fired, "a"))).isFalse();
        assertThat(limiter.arm(w, armed(fired, "b"))).isFalse();
        assertThat(limiter.inUse()).isZero();

        // Then both start once the gate opens, by the scheduled pump, not before
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> fired.size() == 2);
        assertThat(System.nanoTime() - asked).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(fired).containsExactly("a", "b");
        assertThat(limiter.inUse()).isEqualTo(2);
    }

    @Test
    void shouldSendAReleasedPermitBackToThePoolWhileTheGateIsShut() {
        // Given a full limiter of one with an armed call, and a gate that shuts after the first start
        AtomicBoolean shut = new AtomicBoolean();
        InFlightLimiter.Gate gate = () -> shut.get() ? TimeUnit.HOURS.toNanos(1) : 0;
        InFlightLimiter limiter = new InFlightLimiter(1, () -> true, gate, Schedulers.single());
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        assertThat(limiter.tryAcquire(w)).isTrue();
        List<String> fired = new ArrayList<>();
        limiter.tryAcquire(w);
        limiter.arm(w, armed(fired, "a"));

        // When the gate shuts and the call in flight ends
        shut.set(true);
        limiter.release();

        // Then the armed call waits and the permit is free (not held by anyone)
        assertThat(fired).isEmpty();
        assertThat(limiter.inUse()).isZero();
        assertThat(limiter.armed()).isEqualTo(1);

        // and when the gate opens and a pump runs, it starts
        shut.set(false);
        limiter.pump();
        assertThat(fired).containsExactly("a");
        assertThat(limiter.inUse()).isEqualTo(1);
    }

    @Test
    void shouldNotCountARaiseOfTheLimitInsideARelease() {
        // Given a limit of 2 of 8, both permits taken, and an armed call that completes at once when started and,
        // being a success, raises the limit (as the adaptive limit does from inside the completion)
        InFlightLimiter limiter = new InFlightLimiter(8);
        limiter.setLimit(2);
        InFlightLimiter.Waiter w = limiter.register("task", () -> {});
        assertThat(limiter.tryAcquire(w)).isTrue();
        assertThat(limiter.tryAcquire(w)).isTrue();
        assertThat(limiter.tryAcquire(w)).isFalse();
        limiter.arm(w, () -> {
            limiter.release();
            limiter.setLimit(3);
            return true;
        });

        // When one of the two calls in flight ends
        limiter.release();

        // Then the armed call took its permit and gave it back; the other call still holds one: one in use
        assertThat(limiter.inUse()).isEqualTo(1);
        assertThat(limiter.limit()).isEqualTo(3);
        limiter.release();
        assertThat(limiter.inUse()).isZero();
    }
}
