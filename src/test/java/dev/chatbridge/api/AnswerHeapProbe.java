package dev.chatbridge.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures the heap one answer byte takes while it is parsed and aggregated, per worst shape ({@link AnswerShapes}),
 * the figure behind {@link AnswerBudget#HEAP_BYTES_PER_ANSWER_BYTE}. {@code COPIES} answers of each shape are fed side
 * by side in 8 KiB chunks, as the event loop would, and the live heap (after a full GC) is read at 16 points during the
 * feed and after the answers are built, with everything still referenced; the largest figure over the baseline, divided
 * by the answer bytes fed so far, is the shape's heap per answer byte. The last column compares the heap of one answer
 * with what {@link AnswerBudget} reserves for it at that point ({@code BASE_HEAP_BYTES + HEAP_BYTES_PER_ANSWER_BYTE x
 * bytes}): it must stay below 1.
 *
 * <p>Run (after {@code ./mvnw -o test-compile}), see docs/architecture.md: {@code java -Xmx1g -cp
 * target/test-classes:target/classes:$(cat cp.txt) dev.chatbridge.api.AnswerHeapProbe}
 */
public final class AnswerHeapProbe {

    private static final int COPIES = 16;
    private static final int CHUNK = 8 * 1024;

    private AnswerHeapProbe() {}

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : ChatClientConfig.DEFAULT_MAX_ANSWER_BYTES;
        ObjectMapper mapper = JsonMapper.builder().build();
        measure(AnswerShapes.all(size).get(0), mapper, false); // warm-up: class init, JIT, static caches
        System.out.printf(
                Locale.ROOT,
                "%-42s %10s %12s %8s %9s %s%n",
                "shape",
                "fed bytes",
                "heap/answer",
                "per byte",
                "/reserved",
                "ended");
        double worst = 0;
        double worstOfReserved = 0;
        for (AnswerShapes.Shape shape : AnswerShapes.all(size)) {
            double[] figures = measure(shape, mapper, true);
            worst = Math.max(worst, figures[0]);
            worstOfReserved = Math.max(worstOfReserved, figures[1]);
        }
        System.out.printf(
                Locale.ROOT,
                "worst heap bytes per answer byte: %.2f; worst heap / reserved: %.2f%n",
                worst,
                worstOfReserved);
    }

    private static double[] measure(AnswerShapes.Shape shape, ObjectMapper mapper, boolean print) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        List<Feed> feeds = new ArrayList<>();
        long baseline = live(memory);
        for (int i = 0; i < COPIES; i++) {
            feeds.add(new Feed(shape, mapper));
        }
        int chunks = (shape.body().length + CHUNK - 1) / CHUNK;
        int every = Math.max(1, chunks / 16);
        long peak = 0;
        long peakFed = 1;
        double ofReserved = 0;
        for (int c = 0; c < chunks; c++) {
            for (Feed feed : feeds) {
                feed.chunk(c);
            }
            // events are folded in three steps, as SseAnswer does; a large event is measured after each
            for (boolean more = true; more; ) {
                more = false;
                for (int step = 0; step < 3; step++) {
                    boolean large = false;
                    for (Feed feed : feeds) {
                        large |= feed.step(step);
                    }
                    if (large) {
                        long used = live(memory) - baseline;
                        long fed = feeds.stream().mapToLong(f -> f.fed).sum();
                        ofReserved = Math.max(ofReserved, (double) used / COPIES / AnswerBudget.heapFor(fed / COPIES));
                        if (used > peak * (double) fed / peakFed) {
                            peak = used;
                            peakFed = fed;
                        }
                    }
                }
                for (Feed feed : feeds) {
                    more |= feed.next();
                }
            }
            if (c % every == every - 1 || c == chunks - 1) {
                long fed = feeds.stream().mapToLong(f -> f.fed).sum();
                long used = live(memory) - baseline;
                ofReserved = Math.max(ofReserved, (double) used / COPIES / AnswerBudget.heapFor(fed / COPIES));
                if (used > peak * (double) fed / peakFed || peak == 0) {
                    peak = used;
                    peakFed = fed;
                }
            }
        }
        for (Feed feed : feeds) {
            feed.end();
        }
        long fed = feeds.stream().mapToLong(f -> f.fed).sum();
        long used = live(memory) - baseline;
        double perByte = Math.max((double) peak / peakFed, (double) used / fed);
        ofReserved = Math.max(ofReserved, (double) used / COPIES / AnswerBudget.heapFor(fed / COPIES));
        if (print) {
            System.out.printf(
                    Locale.ROOT,
                    "%-42s %10d %12d %8.2f %9.2f %s%n",
                    shape.name(),
                    fed / COPIES,
                    used / COPIES,
                    perByte,
                    ofReserved,
                    feeds.get(0).ending);
        }
        feeds.clear();
        return new double[] {perByte, ofReserved};
    }

    private static long live(MemoryMXBean memory) {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** One answer being fed, as JsonAnswer or SseAnswer feeds it (without the network). */
    private static final class Feed {
        final AnswerShapes.Shape shape;
        final AnswerAggregator aggregator;
        final JsonAnswerFolder folder;
        final SseParser sse;
        final ObjectMapper mapper;
        long fed;
        String ending = "complete";
        Object answer;
        boolean stopped;
        List<SseEvent> events = List.of();
        int event;
        byte[] data;
        JsonAnswerFolder each;

        Feed(AnswerShapes.Shape shape, ObjectMapper mapper) {
            this.shape = shape;
            this.mapper = mapper;
            this.aggregator = new AnswerAggregator(mapper, AnswerCaps.DEFAULT);
            this.folder = shape.sse() ? null : new JsonAnswerFolder(aggregator, mapper, AnswerCaps.DEFAULT);
            this.sse = shape.sse() ? new SseParser(1024 * 1024, 1024 * 1024) : null;
        }

        void chunk(int c) {
            if (stopped) {
                return;
            }
            int from = c * CHUNK;
            int length = Math.min(CHUNK, shape.body().length - from);
            fed += length;
            try {
                if (sse == null) {
                    folder.feed(ByteBuffer.wrap(shape.body(), from, length));
                } else {
                    events = sse.feed(Unpooled.wrappedBuffer(shape.body(), from, length));
                    event = 0;
                }
            } catch (Exception e) {
                stop(e);
            }
        }

        /** Step 0, 1 or 2 of folding the current event; true when the event is large. */
        boolean step(int step) {
            if (stopped || event >= events.size()) {
                return false;
            }
            try {
                switch (step) {
                    case 0 -> data = events.get(event).data().getBytes(StandardCharsets.UTF_8);
                    case 1 -> {
                        each = new JsonAnswerFolder(aggregator, mapper, AnswerCaps.DEFAULT);
                        each.feed(ByteBuffer.wrap(data));
                    }
                    default -> each.end();
                }
            } catch (Exception e) {
                stop(e);
            }
            return data != null && data.length > 64 * 1024;
        }

        /** Moves to the next event of the chunk; true when there is one. */
        boolean next() {
            data = null;
            each = null;
            event++;
            if (event >= events.size()) {
                events = List.of();
                return false;
            }
            return !stopped;
        }

        private void stop(Exception e) {
            stopped = true;
            events = List.of();
            ending = "stopped: " + e.getMessage().replaceAll(" \\(a fixed cap.*", "");
        }

        void end() {
            if (stopped) {
                return;
            }
            try {
                if (folder != null) {
                    folder.end();
                }
                answer = aggregator.result();
            } catch (Exception e) {
                ending = "stopped: " + e.getMessage();
            }
        }
    }
}
