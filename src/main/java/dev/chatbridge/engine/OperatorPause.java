package dev.chatbridge.engine;

import dev.chatbridge.api.KeyCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Whether this instance may call the API, and whose fault a refusal is; shared by all its stream threads and tasks.
 *
 * <p><b>Refusals belong to requests.</b> A call refused with 3xx, 401, 403 or 404 may be the request's fault (an
 * account the key may not impersonate, an assistant that does not exist) or the deployment's (a revoked key, a wrong
 * base URL). The engine hands each such refusal to {@link #verify}, which runs a synthetic key check
 * ({@link dev.chatbridge.api.ChatApi#checkKey}: no account, no user content) that <em>started after</em> the refusal,
 * and tells the refusal's owner the verdict: accepted means the refusal is the request's (its dead letter), refused
 * means the deployment's. One check answers every refusal registered before it started; while not paused, checks start
 * at most once per initial backoff. A user's request is never used as a probe.
 *
 * <p><b>Pause.</b> A refused key check pauses dispatching for the whole instance: {@link #gate()} answers
 * {@link Gate#CLOSED}, {@link #isReady()} turns false, one error is logged and counted per episode. Key checks go on
 * after a backoff that doubles up to its cap; the first accepted one resumes dispatching. A check that cannot tell (no
 * connection, 5xx, 429) decides nothing and is repeated after the same kind of backoff.
 *
 * <p><b>Threading.</b> {@link #gate} is called by stream threads; {@link #verify} by the threads that complete calls;
 * checks run and complete on the scheduler's and Netty's threads. All state is guarded by this object's monitor;
 * callbacks and logging run outside it; nothing blocks.
 */
public final class OperatorPause {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorPause.class);
    /** A key check that has not ended after this long counts as unable to tell. */
    static final Duration CHECK_DEADLINE = Duration.ofSeconds(60);

    /** What a dispatcher may do now. */
    enum Gate {
        /** Not paused: dispatch freely. */
        OPEN,
        /** Paused (or draining): dispatch nothing. */
        CLOSED
    }

    /** Told about every key check that ended (metrics, audit). */
    @FunctionalInterface
    public interface CheckListener {
        /** A key check ended with {@code check} after {@code took}. */
        void checked(KeyCheck check, Duration took);

        /** A listener that does nothing. */
        CheckListener NONE = (check, took) -> {};
    }

    private record Waiter(long sequence, Consumer<KeyCheck> decided) {}

    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Scheduler scheduler;
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile CheckListener listener = CheckListener.NONE;
    private Supplier<Mono<KeyCheck>> checker;
    private long registered;
    private boolean paused;
    private boolean checkRunning;
    private boolean checkScheduled;
    private long nextCheckAtMillis;
    private Duration backoff;
    private long episodes;
    private boolean draining;
    private boolean stopped;

    /** A pause that starts open and times its checks on Reactor's parallel scheduler. */
    public OperatorPause(Duration initialBackoff, Duration maxBackoff) {
        this(initialBackoff, maxBackoff, Schedulers.parallel());
    }

    /** A pause that starts open and times its checks on {@code scheduler} (a virtual one in tests). */
    OperatorPause(Duration initialBackoff, Duration maxBackoff, Scheduler scheduler) {
        this.initialBackoff = Objects.requireNonNull(initialBackoff, "initialBackoff");
        this.maxBackoff = Objects.requireNonNull(maxBackoff, "maxBackoff");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.backoff = initialBackoff;
    }

    /** Where ended key checks are reported. */
    public void onCheck(CheckListener checkListener) {
        this.listener = Objects.requireNonNull(checkListener, "checkListener");
    }

    /** May a call be dispatched now? */
    synchronized Gate gate() {
        return draining || paused ? Gate.CLOSED : Gate.OPEN;
    }

    /**
     * A call was refused (3xx, 401, 403, 404): runs a key check that starts after now, unless one is already due, and
     * tells {@code decided} its verdict, {@code ACCEPTED} (the refusal is the request's) or {@code REFUSED} (the
     * deployment's), never {@code UNKNOWN}. {@code decided} runs on a check's thread, exactly once, unless the instance
     * stops first.
     */
    void verify(Supplier<Mono<KeyCheck>> check, Consumer<KeyCheck> decided) {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(decided, "decided");
        synchronized (this) {
            checker = check;
            waiters.add(new Waiter(++registered, decided));
        }
        schedule();
    }

    /** Starts or schedules the next key check when one is wanted and none is due. */
    private void schedule() {
        long delay;
        synchronized (this) {
            if (stopped || checkRunning || checkScheduled || checker == null || (waiters.isEmpty() && !paused)) {
                return;
            }
            checkScheduled = true;
            delay = Math.max(0, nextCheckAtMillis - scheduler.now(TimeUnit.MILLISECONDS));
        }
        scheduler.schedule(this::runCheck, delay, TimeUnit.MILLISECONDS);
    }

    private void runCheck() {
        Supplier<Mono<KeyCheck>> check;
        long covers;
        long started;
        synchronized (this) {
            checkScheduled = false;
            if (stopped) {
                return;
            }
            checkRunning = true;
            check = checker;
            covers = registered;
            started = scheduler.now(TimeUnit.MILLISECONDS);
        }
        Mono<KeyCheck> result;
        try {
            result = Objects.requireNonNull(check.get(), "key check");
        } catch (RuntimeException e) {
            result = Mono.error(e);
        }
        result.timeout(CHECK_DEADLINE, scheduler)
                .onErrorResume(e -> Mono.just(new KeyCheck(
                        KeyCheck.Verdict.UNKNOWN,
                        null,
                        "the key check failed: " + e.getClass().getSimpleName())))
                .defaultIfEmpty(new KeyCheck(KeyCheck.Verdict.UNKNOWN, null, "the key check ended without a verdict"))
                .subscribe(outcome -> checked(outcome, covers, started));
    }

    private void checked(KeyCheck check, long covers, long startedMillis) {
        List<Consumer<KeyCheck>> decided = new ArrayList<>();
        boolean newEpisode = false;
        boolean resumed = false;
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        Duration wait;
        synchronized (this) {
            checkRunning = false;
            if (check.verdict() != KeyCheck.Verdict.UNKNOWN) {
                for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                    Waiter waiter = it.next();
                    if (waiter.sequence() <= covers) {
                        decided.add(waiter.decided());
                        it.remove();
                    }
                }
            }
            if (check.verdict() == KeyCheck.Verdict.ACCEPTED) {
                resumed = paused;
                paused = false;
                backoff = initialBackoff;
            } else if (check.verdict() == KeyCheck.Verdict.REFUSED && !paused) {
                newEpisode = true;
                paused = true;
                episodes++;
                backoff = initialBackoff;
            } else {
                Duration doubled = backoff.multipliedBy(2);
                backoff = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
            }
            wait = check.verdict() == KeyCheck.Verdict.ACCEPTED ? initialBackoff : backoff;
            nextCheckAtMillis = now + wait.toMillis();
        }
        if (newEpisode) {
            LOG.error(
                    "{}. Dispatching is paused for the whole instance; a key check (no account, no user content) "
                            + "runs again after {} ms. Refused requests are not dead-lettered for it; input waits as lag.",
                    check.message(),
                    wait.toMillis());
        } else if (resumed) {
            LOG.info("The API accepts the key again (key check: HTTP {}); dispatching resumed", check.httpStatus());
        } else if (check.verdict() == KeyCheck.Verdict.UNKNOWN) {
            LOG.warn(
                    "A key check could not tell whether the API accepts the key ({}); {} refusals wait for the "
                            + "next check in {} ms",
                    check.message(),
                    decided.size() + pendingWaiters(),
                    wait.toMillis());
        }
        try {
            listener.checked(check, Duration.ofMillis(Math.max(0, now - startedMillis)));
        } catch (RuntimeException e) {
            LOG.error("a key check listener failed (a bug); the verdict still stands", e);
        }
        for (Consumer<KeyCheck> callback : decided) {
            try {
                callback.accept(check);
            } catch (RuntimeException e) {
                LOG.error("handing a key check verdict to a refused call failed (a bug)", e);
            }
        }
        schedule();
    }

    private synchronized int pendingWaiters() {
        return waiters.size();
    }

    /** False while dispatching is paused because a key check was refused (readiness). */
    public synchronized boolean isReady() {
        return !paused;
    }

    /**
     * Stops all further dispatching for good, for a graceful shutdown: calls in flight finish and their outcomes are
     * forwarded; requests not yet sent stay in the pending table for the next owner of their task.
     */
    public synchronized void stopDispatching() {
        draining = true;
    }

    /**
     * Ends key checking for good (the instance closed): no check starts any more and refusals still waiting are never
     * answered; their requests stay in the pending table.
     */
    public synchronized void stop() {
        stopped = true;
        draining = true;
        waiters.clear();
    }

    /** Episodes of operator failure so far (one per pause, however many calls failed in it). */
    public synchronized long episodes() {
        return episodes;
    }

    /** Refusals waiting for a key check's verdict. */
    public synchronized int refusalsWaiting() {
        return waiters.size();
    }
}
