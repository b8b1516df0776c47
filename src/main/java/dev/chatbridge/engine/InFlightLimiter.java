package dev.chatbridge.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The per-instance limit on API calls in flight, shared by every stream thread and task of one
 * Kafka Streams instance, and handed out fairly.
 *
 * <p><b>Fairness.</b> A task that finds no free permit joins a FIFO queue of waiters (once). A
 * permit released while anyone waits is not returned to the pool but granted to the waiter at
 * the head of the queue, which leaves the queue; if it needs more it queues again at the tail.
 * Permits therefore go round robin among waiting tasks, and a task that asks often cannot
 * starve one that asks rarely. While anyone waits, no newcomer takes a free permit ahead of it
 * (there is none: every released permit is granted).
 *
 * <p><b>Threading.</b> {@link #tryAcquire}, {@link #returnGrants} and {@link #unregister} are
 * called by stream threads, {@link #release} by Netty threads (call completions) and stream
 * threads (cancellation). All state is guarded by this object's monitor; no method blocks. The
 * grant callback of a waiter runs on the releasing thread, outside the monitor, and must only
 * signal (never call back into the limiter's waiting logic).
 *
 * <p>Invariant: {@code inUse} counts taken and granted-but-unclaimed permits, never exceeds
 * {@code max}, and equals {@code max} whenever a waiter is queued.
 */
public final class InFlightLimiter {

    private final int max;
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private int inUse;
    private int peak;

    /** A limiter with {@code max} permits. */
    public InFlightLimiter(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max in flight must be at least 1, was " + max);
        }
        this.max = max;
    }

    /** One party that asks for permits (a task); {@code onGrant} is called when a permit is granted to it. */
    static final class Waiter {
        private final String name;
        private final Runnable onGrant;
        private boolean queued;
        private int granted;
        private boolean unregistered;

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
            if (w.granted > 0) {
                w.granted--;
                return true;
            }
            if (queue.isEmpty() && inUse < max) {
                inUse++;
                peak = Math.max(peak, inUse);
                return true;
            }
            if (!w.queued) {
                w.queued = true;
                queue.addLast(w);
            }
            return false;
        }
    }

    /** Gives one permit back: to the head waiter if any, else to the pool. Called when a call ends. */
    void release() {
        Waiter granted;
        synchronized (this) {
            granted = releaseLocked();
        }
        if (granted != null) {
            granted.onGrant.run();
        }
    }

    /** Stops the waiter from waiting and hands back permits granted to it but not used. */
    void returnGrants(Waiter w) {
        List<Waiter> notify = new ArrayList<>();
        synchronized (this) {
            if (w.queued) {
                queue.remove(w);
                w.queued = false;
            }
            while (w.granted > 0) {
                w.granted--;
                Waiter next = releaseLocked();
                if (next != null) {
                    notify.add(next);
                }
            }
        }
        notify.forEach(n -> n.onGrant.run());
    }

    /** Removes the waiter for good (task closed), returning its unused grants. */
    void unregister(Waiter w) {
        returnGrants(w);
        synchronized (this) {
            w.unregistered = true;
        }
    }

    private Waiter releaseLocked() {
        Waiter head = queue.pollFirst();
        if (head != null) {
            head.queued = false;
            head.granted++;
            return head;
        }
        if (inUse <= 0) {
            throw new IllegalStateException("in-flight permit released more often than acquired");
        }
        inUse--;
        return null;
    }

    /** Permits taken or granted right now. */
    public synchronized int inUse() {
        return inUse;
    }

    /** The most permits ever in use at once. */
    public synchronized int peak() {
        return peak;
    }

    /** The limit. */
    public int max() {
        return max;
    }

    /** Parties waiting for a permit right now. */
    public synchronized int waiting() {
        return queue.size();
    }
}
