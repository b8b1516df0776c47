package dev.chatbridge.devtools.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded buffer of {@link CallTiming}s, for benchmarks: at most {@code capacity} are held until {@link #drain()}
 * takes them; beyond that new ones are dropped and counted.
 *
 * <p>Threading: {@link #add} from Netty and timer threads, {@link #drain} from any thread; lock-free.
 */
final class CallTimings {

    private final int capacity;
    private final ConcurrentLinkedQueue<CallTiming> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();

    CallTimings(int capacity) {
        this.capacity = capacity;
    }

    boolean enabled() {
        return capacity > 0;
    }

    void add(CallTiming timing) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        queue.add(timing);
    }

    /** Takes every timing held, oldest first. */
    List<CallTiming> drain() {
        List<CallTiming> out = new ArrayList<>();
        for (CallTiming t = queue.poll(); t != null; t = queue.poll()) {
            size.decrementAndGet();
            out.add(t);
        }
        return out;
    }

    long dropped() {
        return dropped.get();
    }
}
