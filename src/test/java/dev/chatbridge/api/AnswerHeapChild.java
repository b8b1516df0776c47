package dev.chatbridge.api;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.chatbridge.events.DeadLetterReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The child JVM of {@code AnswerHeapIT}: 64 calls in flight at once to the parent's loopback server
 * ({@link #handler()}, URL in {@code args[0]}), each answered with 16.5 MB of a worst shape, by a ChatClient with the
 * default limits and budget. The server runs in the parent so that its buffers are not in the heap measured here. It
 * prints each outcome kind, the peak live heap (full GCs forced while the calls run, 50 ms or more apart, see
 * {@link HeapSampler}; the largest heap after a full GC, from GC notifications), and {@code RESULT ok} or {@code RESULT
 * failed: ...}.
 */
public final class AnswerHeapChild {

    static final int CALLS = 64;
    static final int BODY_BYTES = 16_500_000;
    /** Heap beyond the answer budget that the test allows: connections, pool, Reactor, the outcomes. */
    static final long SLACK_BYTES = 32L * 1024 * 1024;

    private AnswerHeapChild() {}

    public static void main(String[] args) throws Exception {
        AtomicLong peakAfterGc = new AtomicLong();
        AtomicInteger gcs = new AtomicInteger();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc)
                    .addNotificationListener(
                            (notification, handback) -> {
                                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                                        notification.getType())) {
                                    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                                            (CompositeData) notification.getUserData());
                                    if (!info.getGcAction().contains("major")) {
                                        return; // a young GC leaves dead old objects counted: only full GCs tell the
                                        // live heap
                                    }
                                    long used = info.getGcInfo().getMemoryUsageAfterGc().values().stream()
                                            .mapToLong(MemoryUsage::getUsed)
                                            .sum();
                                    peakAfterGc.accumulateAndGet(used, Math::max);
                                    gcs.incrementAndGet();
                                }
                            },
                            null,
                            null);
        }
        String baseUrl = args[0];
        {
            ChatClientConfig config = ChatClientConfig.builder()
                    .baseUrl(baseUrl)
                    .apiKey(ApiKey.of("sk-heap-test"))
                    .maxInFlight(CALLS)
                    .firstByteTimeout(Duration.ofSeconds(30))
                    .idleTimeout(Duration.ofSeconds(30))
                    .attemptTimeout(Duration.ofSeconds(50))
                    .build();
            try (ChatClient client = new ChatClient(config)) {
                System.gc();
                long baseline =
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                peakAfterGc.set(0);
                gcs.set(0);
                long started = System.nanoTime();
                HeapSampler sampler = HeapSampler.start();
                List<CallOutcome> outcomes = Flux.range(0, CALLS)
                        .flatMap(i -> client.call(ChatClientTestSupport.request(null)), CALLS)
                        .collectList()
                        .block(Duration.ofSeconds(55));
                sampler.stop();
                long elapsedMs = (System.nanoTime() - started) / 1_000_000;
                Map<String, Integer> kinds = new TreeMap<>();
                StringBuilder unexpected = new StringBuilder();
                for (CallOutcome outcome : outcomes) {
                    String kind = kind(outcome);
                    kinds.merge(kind, 1, Integer::sum);
                    if (!kind.equals("RESPONSE_TOO_LARGE") && !kind.equals("retriable: answer memory budget")) {
                        unexpected.append(outcome).append('\n');
                    }
                }
                long budget = client.answerBudget().capacity();
                long bound = baseline + budget + SLACK_BYTES;
                kinds.forEach((kind, count) -> System.out.println("outcome " + kind + " x" + count));
                System.out.println("max heap " + Runtime.getRuntime().maxMemory());
                System.out.println("baseline " + baseline);
                System.out.println("answer budget " + budget);
                System.out.println("bound " + bound);
                System.out.println("gcs " + gcs.get() + " (forced " + sampler.forced() + ", " + sampler.forcedMillis()
                        + " ms of " + elapsedMs + " ms)");
                System.out.println("peak live heap after full GC " + peakAfterGc.get() + " ("
                        + (peakAfterGc.get() - baseline) + " over the baseline)");
                System.out.println(
                        "budget used after the calls " + client.answerBudget().used());
                String failed = "";
                if (outcomes.size() != CALLS) {
                    failed += outcomes.size() + " outcomes for " + CALLS + " calls; ";
                }
                if (unexpected.length() > 0) {
                    failed += "unexpected outcomes: " + unexpected + "; ";
                }
                if (gcs.get() == 0) {
                    failed += "no GC ran, the peak is unknown; ";
                }
                if (peakAfterGc.get() > bound) {
                    failed += "peak live heap " + peakAfterGc.get() + " above the bound " + bound + "; ";
                }
                if (client.answerBudget().used() != 0) {
                    failed += "budget still held: " + client.answerBudget().used() + "; ";
                }
                System.out.println(failed.isEmpty() ? "RESULT ok" : "RESULT failed: " + failed);
                System.out.flush();
                System.exit(failed.isEmpty() ? 0 : 1);
            }
        }
    }

    /**
     * Forces a full GC, then pauses four times as long as it took (at least 50 ms), until stopped: on a loaded machine
     * a full GC can take longer than any fixed period, and back-to-back GCs would starve the event loops until the
     * calls time out. So the forced GCs take at most a fifth of the time, however slow the machine is.
     */
    private static final class HeapSampler implements Runnable {
        private static final long MIN_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final Thread thread = new Thread(this, "heap-sampler");
        private volatile int forced;
        private volatile long forcedNanos;

        static HeapSampler start() {
            HeapSampler sampler = new HeapSampler();
            sampler.thread.setDaemon(true);
            sampler.thread.start();
            return sampler;
        }

        @Override
        public void run() {
            try {
                long took;
                do {
                    long before = System.nanoTime();
                    System.gc();
                    took = System.nanoTime() - before;
                    forced++;
                    forcedNanos += took;
                } while (!stopped.await(Math.max(MIN_PAUSE_NANOS, 4 * took), TimeUnit.NANOSECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() throws InterruptedException {
            stopped.countDown();
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }

        int forced() {
            return forced;
        }

        long forcedMillis() {
            return TimeUnit.NANOSECONDS.toMillis(forcedNanos);
        }
    }

    /** The server's answers, in the parent JVM: shape = request number modulo 4, 16.5 MB each. */
    static LoopbackServer.Handler handler() {
        AtomicInteger requests = new AtomicInteger();
        return (request, response) -> {
            int shape = requests.getAndIncrement() % 4;
            return response.status(200)
                    .header("Content-Type", shape < 2 ? LoopbackServer.JSON : LoopbackServer.SSE)
                    .send(body(shape), chunk -> true);
        };
    }

    private static String kind(CallOutcome outcome) {
        if (outcome instanceof CallOutcome.PermanentFailure f && f.reason() == DeadLetterReason.RESPONSE_TOO_LARGE) {
            return "RESPONSE_TOO_LARGE";
        }
        if (outcome instanceof CallOutcome.RetriableFailure f && f.message().contains("chat.api.answer.memory.bytes")) {
            return "retriable: answer memory budget";
        }
        return outcome.getClass().getSimpleName() + ": " + outcome;
    }

    /**
     * The bodies' parts, made once before the baseline is taken (the server shares this JVM): 0:
     * {"toolCalls":[{},...]}; 1: huge text with an emoji; 2: SSE text events; 3: SSE events of 900 kB text with an
     * emoji.
     */
    private static final byte[][][] PARTS = {
        parts("{\"toolCalls\":[{}", ",{}", "]}"),
        parts("{\"text\":\"\uD83D\uDE00", "x", "\"}"),
        parts("", "data: {\"text\":\"x\"}\n\n", ""),
        parts("", "data: {\"text\":\"\uD83D\uDE00" + "x".repeat(900_000) + "\"}\n\n", ""),
    };

    private static Flux<ByteBuf> body(int shape) {
        byte[][] parts = PARTS[shape];
        int blocks = Math.max(1, BODY_BYTES / parts[1].length);
        return Flux.concat(
                Mono.fromSupplier(() -> Unpooled.wrappedBuffer(parts[0])),
                Flux.range(0, blocks).map(i -> Unpooled.wrappedBuffer(parts[1])),
                Mono.fromSupplier(() -> Unpooled.wrappedBuffer(parts[2])));
    }

    private static byte[][] parts(String head, String item, String tail) {
        byte[] bytes = item.getBytes(StandardCharsets.UTF_8);
        int per = Math.max(1, 64 * 1024 / bytes.length);
        byte[] block = new byte[per * bytes.length];
        for (int i = 0; i < per; i++) {
            System.arraycopy(bytes, 0, block, i * bytes.length, bytes.length);
        }
        return new byte[][] {head.getBytes(StandardCharsets.UTF_8), block, tail.getBytes(StandardCharsets.UTF_8)};
    }
}
