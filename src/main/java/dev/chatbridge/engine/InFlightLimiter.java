package dev.chatbridge.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The per-instance limit on API calls in flight, shared by every stream thread and task of one Kafka Streams instance,
 * and handed out fairly.
 *
 * <p><b>Fairness.</b> A task that finds no free permit joins a FIFO queue of waiters (once). A permit released while
 * anyone waits is not returned to the pool but granted to the waiter at the head of the queue, which leaves the queue;
 * if it needs more it queues again at the tail. Permits therefore go round robin among waiting tasks, and a task that
 * asks often cannot starve one that asks rarely. While anyone waits, no newcomer takes a free permit ahead of it (there
 * is none: every released permit is granted).
 *
 * <p><b>Armed calls: dispatch without the stream thread.</b> A stream thread comes back to a task only between polls
 * (up to {@code poll.ms} when input is caught up), so a permit granted by a wake-up would idle until then. Instead a
 * waiter may {@link #arm} calls prepared in advance (the request read from the store and decoded by its stream thread):
 * a released permit then goes straight to the oldest armed call of the first waiter in queue order that has one, which
 * the releasing thread starts (an HTTP call needs no stream thread), unless {@code firingAllowed} says no (the operator
 * pause), in which case the permit is granted as before. Waiters ahead of it with nothing armed keep their places (a
 * grant would idle until their stream thread comes back) and are granted the next permit released while no call is
 * armed; they arm their calls when their stream thread next runs them, and are then served in their turn. Armed calls
 * are bounded by {@code max} per instance, so they hold at most as many requests as the calls in flight do. Nested
 * releases (a fired call that completes at once) are run by the outermost release of the thread, so the stack never
 * grows with the number of armed calls.
 *
 * <p><b>Threading.</b> {@link #tryAcquire}, {@link #arm}, {@link #disarm}, {@link #returnGrants} and
 * {@link #unregister} are called by stream threads, {@link #release} by Netty threads (call completions) and stream
 * threads (cancellation). All state is guarded by this object's monitor; no method blocks. The grant callback of a
 * waiter and {@link Armed#fire} run on the releasing thread, outside the monitor; a grant callback must only signal.
 *
 * <p><b>The limit in force and the gate.</b> {@code max} ({@code chat.max.in.flight}) is the ceiling; the limit in
 * force ({@link #setLimit}) may sit below it (the adaptive limit, the instance's share of the API's concurrency quota).
 * Lowered, it takes effect as calls end: a permit released while more are in use than the limit allows goes back to the
 * pool, not to a waiter. Raised, the permits freed are handed out at once ({@link #pump}). Independently, a
 * {@link Gate} may hold every new start back for a while (a {@code Retry-After} pause, the instance's share of the
 * API's rate quota): a free permit then goes back to the pool, and a pump is scheduled on {@code timer} for when the
 * gate says it opens. A grant has passed the gate already (its token is taken), so a granted permit is claimed without
 * asking it again.
 *
 * <p>Invariant: {@code inUse} counts taken and granted-but-unclaimed permits and never exceeds {@code max}; it exceeds
 * the limit in force only after that was lowered, until enough calls end. Whenever a waiter is queued, either
 * {@code inUse} is at least the limit in force (a release or a raise serves it), or the gate held a start back and a
 * pump is scheduled; a waiter with armed calls is queued.
 */
public final class InFlightLimiter {

    /** A call prepared by a stream thread, started by whichever thread frees a permit for it. */
    interface Armed {
        /**
         * Starts the call with the permit given to it; false when it was cancelled meanwhile (the permit is not used).
         */
        boolean fire();
    }

    /**
     * What may hold every new start back for a while, whatever the permits: a {@code Retry-After} pause, a rate. Asked
     * under the limiter's monitor; must not block.
     */
    interface Gate {
        /** A gate that never holds anything back. */
        Gate OPEN = () -> 0;

        /**
         * Lets one call start now (taking what it needs, for example a token) and returns 0, or takes nothing and
         * returns how many nanoseconds to wait before asking again (at least 1).
         */
        long tryPass();
    }

    /** Longest wait before a held-back start is tried again, whatever the gate says (it may change its mind). */
    static final long MAX_PUMP_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int max;
    private volatile int limit;
    private final BooleanSupplier firingAllowed;
    private final Gate gate;
    private final Scheduler timer;
    /** When the scheduled pump runs (System.nanoTime), or 0 when none is scheduled. */
    private long pumpDue;

    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    /** Per thread: releases and pumps asked for while it runs one already, done by its outermost loop. */
    private final ThreadLocal<Nested> nested = ThreadLocal.withInitial(Nested::new);

    private int inUse;
    private int peak;
    private int armedTotal;

    /** A limiter with {@code max} permits whose armed calls may always fire. */
    public InFlightLimiter(int max) {
        this(max, () -> true);
    }

    /** A limiter with {@code max} permits; armed calls fire only while {@code firingAllowed} says so. */
    public InFlightLimiter(int max, BooleanSupplier firingAllowed) {
        this(max, firingAllowed, Gate.OPEN, Schedulers.parallel());
    }

    /**
     * A limiter with {@code max} permits; armed calls fire only while {@code firingAllowed} says so; every start passes
     * {@code gate}, and starts it held back are tried again on {@code timer}.
     */
    InFlightLimiter(int max, BooleanSupplier firingAllowed, Gate gate, Scheduler timer) {
        if (max < 1) {
            throw new IllegalArgumentException("max in flight must be at least 1, was " + max);
        }
        this.max = max;
        this.limit = max;
        this.firingAllowed = Objects.requireNonNull(firingAllowed, "firingAllowed");
        this.gate = Objects.requireNonNull(gate, "gate");
        this.timer = Objects.requireNonNull(timer, "timer");
    }

    /** One party that asks for permits (a task); {@code onGrant} is called when a permit is granted to it. */
    static final class Waiter {
        private final String name;
        private final Runnable onGrant;
        private boolean queued;
        private int granted;
        private boolean unregistered;
        private final ArrayDeque<Armed> armed = new ArrayDeque<>();

        private Waiter(String name, Runnable onGrant) {
            this.name = name;
            this.onGrant = onGrant;
        }

        @Override
        public String toString() {
            return "Waiter[" + name + "]";
        }
    }

    /** Registers a party; {@code onGrant} must only signal its owner. */
    Waiter register(String name, Runnable onGrant) {
        return new Waiter(Objects.requireNonNull(name), Objects.requireNonNull(onGrant));
    }

    /** Takes a permit for the waiter if one is granted to it or free with nobody queued; otherwise queues it. */
    boolean tryAcquire(Waiter w) {
        synchronized (this) {
            if (w.unregistered) {
                return false;
            }
            if (takeLocked(w)) {
                return true;
            }
            if (!w.queued) {
                w.queued = true;
                queue.addLast(w);
            }
            return false;
        }
    }

    /** Takes a permit granted to the waiter, or a free one when nobody is queued. */
    private boolean takeLocked(Waiter w) {
        if (w.granted > 0) {
            w.granted--;
            return true;
        }
        if (queue.isEmpty() && inUse < limit && passLocked()) {
            inUse++;
            peak = Math.max(peak, inUse);
            return true;
        }
        return false;
    }

    /** Asks the gate; when it holds the start back, schedules a pump for when it says to ask again. */
    private boolean passLocked() {
        long wait = gate.tryPass();
        if (wait <= 0) {
            return true;
        }
        schedulePumpLocked(Math.min(wait, MAX_PUMP_DELAY_NANOS));
        return false;
    }

    private void schedulePumpLocked(long delayNanos) {
        long due = System.nanoTime() + delayNanos;
        if (pumpDue != 0 && pumpDue - due <= 0) {
            return; // one is due no later
        }
        try {
            timer.schedule(this::pump, delayNanos, TimeUnit.NANOSECONDS);
            pumpDue = due;
        } catch (RejectedExecutionException e) {
            // The timer is shut down (the JVM is stopping): nothing will start any more anyway.
            pumpDue = 0;
        }
    }

    /**
     * Whether the waiter may arm one more call: armed calls of the instance stay below {@code max}, and each waiter
     * keeps to its share of them ({@code max} / waiters queued, at least one), so a waiter that had nothing armed finds
     * room once the others' armed calls start, and is then served in its turn; without the share, busier tasks kept the
     * armed calls to themselves and a queued task waited for minutes (benchmark, L = 64: head p99 95 s).
     */
    synchronized boolean canArm(Waiter w) {
        if (armedTotal >= max) {
            return false;
        }
        int sharing = queue.size() + (w.queued ? 0 : 1);
        return w.armed.size() < Math.max(1, max / sharing);
    }

    /**
     * Arms a prepared call of the waiter, after {@link #tryAcquire} found no permit for it.
     *
     * @return true when a permit was taken for it meanwhile (a grant arrived, or one was freed): the caller starts it
     *     now; false when it is armed (started by a later release), or when the waiter is unregistered (the caller
     *     drops it)
     */
    boolean arm(Waiter w, Armed call) {
        synchronized (this) {
            if (w.unregistered) {
                return false;
            }
            if (takeLocked(w)) {
                return true;
            }
            w.armed.addLast(call);
            armedTotal++;
            if (!w.queued) {
                w.queued = true;
                queue.addLast(w);
            }
            return false;
        }
    }

    /** Takes back the waiter's armed calls (the operator pause closed dispatching); the caller cancels them. */
    List<Armed> disarm(Waiter w) {
        synchronized (this) {
            List<Armed> taken = new ArrayList<>(w.armed);
            armedTotal -= w.armed.size();
            w.armed.clear();
            return taken;
        }
    }

    /** Calls armed now, across waiters. */
    public synchronized int armed() {
        return armedTotal;
    }

    /**
     * Gives one permit back: to the oldest armed call of the first waiter in queue order that has one (started here),
     * else granted to the head waiter, else to the pool. Called when a call ends.
     */
    void release() {
        outermost(true);
    }

    /** What a thread was asked to do while inside a release or pump: done by its outermost loop. */
    private static final class Nested {
        boolean running;
        int releases;
        boolean pump;
    }

    /**
     * Releases one permit ({@code release}) or pumps, unless this thread is inside a release or pump already: then it
     * notes the release (a call fired below completed at once) or the pump (the limit was raised meanwhile) for the
     * outer loop, so the stack never grows with the armed calls.
     */
    private void outermost(boolean release) {
        Nested n = nested.get();
        if (n.running) {
            if (release) {
                n.releases++;
            } else {
                n.pump = true;
            }
            return;
        }
        n.running = true;
        try {
            if (release) {
                releaseOne();
            } else {
                pumpAll();
            }
            while (n.releases > 0 || n.pump) {
                if (n.releases > 0) {
                    n.releases--;
                    releaseOne();
                } else {
                    n.pump = false;
                    pumpAll();
                }
            }
        } finally {
            n.running = false;
            n.releases = 0;
            n.pump = false;
        }
    }

    private void releaseOne() {
        while (true) {
            boolean mayFire = firingAllowed.getAsBoolean();
            Handout handout;
            synchronized (this) {
                if (inUse <= 0) {
                    throw new IllegalStateException("in-flight permit released more often than acquired");
                }
                if (queue.isEmpty() || inUse > limit || !passLocked()) {
                    inUse--; // to the pool: nobody waits, the limit was lowered, or the gate holds starts back
                    return;
                }
                handout = handOutLocked(mayFire);
            }
            if (handout.deliver()) {
                return;
            }
            // cancelled while armed: the permit goes on to the next one
        }
    }

    /** Where a permit went: a grant to a waiter, or an armed call to start. */
    private record Handout(Waiter granted, Armed fire) {
        /** Signals the grant or starts the call; false when the armed call was cancelled meanwhile. */
        boolean deliver() {
            if (granted != null) {
                granted.onGrant.run();
                return true;
            }
            return fire.fire();
        }
    }

    /** Gives a permit counted in {@code inUse} to the first armed call in queue order, else to the head waiter. */
    private Handout handOutLocked(boolean mayFire) {
        Waiter armed = mayFire ? firstWithArmedCall() : null;
        if (armed != null) {
            // Waiters ahead of it with nothing armed keep their places: a permit granted to
            // one of them would idle until its stream thread comes back, while this call
            // can start now.
            queue.remove(armed);
            armed.queued = false;
            Armed fire = armed.armed.pollFirst();
            armedTotal--;
            if (!armed.armed.isEmpty()) {
                armed.queued = true;
                queue.addLast(armed); // round robin: its next armed call waits for the others
            }
            return new Handout(null, fire);
        }
        Waiter head = queue.pollFirst();
        head.queued = false;
        head.granted++;
        return new Handout(head, null);
    }

    /**
     * Hands out free permits to waiters while the limit in force and the gate allow: after the limit was raised, and
     * when a start held back by the gate may be tried again (run on {@code timer} then).
     */
    void pump() {
        outermost(false);
    }

    private void pumpAll() {
        while (true) {
            boolean mayFire = firingAllowed.getAsBoolean();
            Handout handout;
            synchronized (this) {
                pumpDue = 0; // whatever is still held back schedules the next one below
                if (queue.isEmpty() || inUse >= limit || !passLocked()) {
                    return;
                }
                inUse++;
                peak = Math.max(peak, inUse);
                handout = handOutLocked(mayFire);
            }
            if (!handout.deliver()) {
                synchronized (this) {
                    inUse--; // cancelled while armed: the permit is free again
                }
            }
        }
    }

    /**
     * Sets the limit in force, clamped to {@code [1, max]}. Lowered, it takes effect as calls end; raised, free permits
     * go to waiters at once.
     */
    void setLimit(int newLimit) {
        refreshLimit(() -> newLimit);
    }

    /**
     * Sets the limit in force to what {@code source} says, asked under this limiter's monitor: when several threads
     * refresh at once, the last one to get the monitor reads the newest state, so a stale value never stays in force.
     */
    void refreshLimit(IntSupplier source) {
        int old;
        int clamped;
        synchronized (this) {
            old = limit;
            clamped = Math.max(1, Math.min(max, source.getAsInt()));
            limit = clamped;
        }
        if (clamped > old) {
            pump();
        }
    }

    /** The limit in force. */
    public int limit() {
        return limit;
    }

    /** The first waiter in queue order with an armed call, or null. */
    private Waiter firstWithArmedCall() {
        for (Waiter w : queue) {
            if (!w.armed.isEmpty()) {
                return w;
            }
        }
        return null;
    }

    /** Stops the waiter from waiting and hands back permits granted to it but not used. */
    void returnGrants(Waiter w) {
        int surplus;
        synchronized (this) {
            if (w.queued && w.armed.isEmpty()) {
                queue.remove(w);
                w.queued = false;
            }
            surplus = w.granted;
            w.granted = 0;
        }
        for (int i = 0; i < surplus; i++) {
            release();
        }
    }

    /** Removes the waiter for good (task closed), dropping its armed calls and returning its unused grants. */
    void unregister(Waiter w) {
        synchronized (this) {
            w.unregistered = true;
            armedTotal -= w.armed.size();
            w.armed.clear();
        }
        returnGrants(w);
        synchronized (this) {
            if (w.queued) {
                queue.remove(w);
                w.queued = false;
            }
        }
    }

    /** Permits taken or granted right now. */
    public synchronized int inUse() {
        return inUse;
    }

    /** The most permits ever in use at once. */
    public synchronized int peak() {
        return peak;
    }

    /** The ceiling ({@code chat.max.in.flight}). */
    public int max() {
        return max;
    }

    /** Parties waiting for a permit right now. */
    public synchronized int waiting() {
        return queue.size();
    }
}
