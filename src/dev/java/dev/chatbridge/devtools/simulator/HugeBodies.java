package dev.chatbridge.devtools.simulator;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The bodies of {@code #fault:huge}, {@code #fault:huge-sse} and {@code #fault:huge-text}: many megabytes, written as a
 * stream of buffers that wrap two shared read-only blocks of 64 KiB, so that a call costs the simulator a few hundred
 * small buffer objects whatever the size, never a copy of the body. Each buffer is made when the network asks for it
 * (each subscription makes its own), at most {@link #BLOCK_BYTES} long.
 *
 * <p>Stateless and thread-safe (the blocks are never written after class initialisation).
 */
final class HugeBodies {

    /** Largest buffer emitted. */
    static final int BLOCK_BYTES = 65_536;
    /** Tool calls per SSE event of {@link #toolCallEvents}: events of about 512 KiB, well below 1 MiB. */
    static final int CALLS_PER_EVENT = 174_762;

    private static final byte[] CALLS_OPEN = ascii("{\"toolCalls\":[{}");
    private static final byte[] CALLS_CLOSE = ascii("]}");
    private static final byte[] EVENT_OPEN = ascii("data: {\"toolCalls\":[{}");
    private static final byte[] EVENT_CLOSE = ascii("]}\n\n");
    private static final byte[] KEEP_ALIVE = ascii(": keep-alive\n\n");
    /** {@code ,{}} repeated: 21 845 empty tool calls (65 535 bytes). */
    private static final byte[] CALLS_BLOCK = repeat(",{}", BLOCK_BYTES);
    /** ASCII prose, so that a text of N bytes is also N characters. */
    private static final byte[] TEXT_BLOCK = repeat("The assistant keeps talking and never stops. ", BLOCK_BYTES);

    private HugeBodies() {}

    /**
     * Exactly {@code bytes} bytes of {@code {"toolCalls":[{},{},...]}} (a few spaces before the closing bracket make
     * the length exact).
     *
     * @param bytes the body size, at least 18
     */
    static Flux<ByteBuf> toolCalls(long bytes) {
        long calls = (bytes - CALLS_OPEN.length - CALLS_CLOSE.length) / 3;
        if (calls < 0) {
            throw new IllegalArgumentException("a tool-call body needs at least 18 bytes, not " + bytes);
        }
        int pad = (int) (bytes - CALLS_OPEN.length - CALLS_CLOSE.length - 3 * calls);
        byte[] close = new byte[pad + CALLS_CLOSE.length];
        Arrays.fill(close, 0, pad, (byte) ' ');
        System.arraycopy(CALLS_CLOSE, 0, close, pad, CALLS_CLOSE.length);
        return Flux.concat(one(CALLS_OPEN), emptyCalls(calls), one(close));
    }

    /**
     * About {@code bytes} bytes (at most one event more) of SSE: a keep-alive comment, then {@code data:
     * {"toolCalls":[{},{},...]}} events of {@link #CALLS_PER_EVENT} calls each, the last one shorter.
     */
    static Flux<ByteBuf> toolCallEvents(long bytes) {
        long perEvent = EVENT_OPEN.length + 3L * CALLS_PER_EVENT + EVENT_CLOSE.length;
        long left = Math.max(0, bytes - KEEP_ALIVE.length);
        List<Long> events = new ArrayList<>();
        while (left > 0) {
            long size = Math.min(perEvent, Math.max(left, EVENT_OPEN.length + EVENT_CLOSE.length));
            events.add((size - EVENT_OPEN.length - EVENT_CLOSE.length) / 3);
            left -= size;
        }
        return Flux.concat(
                one(KEEP_ALIVE),
                Flux.fromIterable(events)
                        .concatMap(calls -> Flux.concat(one(EVENT_OPEN), emptyCalls(calls), one(EVENT_CLOSE)), 1));
    }

    /** {@code {"text":"<textBytes ASCII characters>","requestId":"<id>"}}. */
    static Flux<ByteBuf> text(long textBytes, String requestId) {
        byte[] close = ("\",\"requestId\":\"" + requestId + "\"}").getBytes(StandardCharsets.UTF_8);
        return Flux.concat(one(ascii("{\"text\":\"")), repeated(TEXT_BLOCK, textBytes), one(close));
    }

    /** Size in bytes of the body {@link #text} writes. */
    static long textSize(long textBytes, String requestId) {
        return "{\"text\":\"".length() + textBytes + ("\",\"requestId\":\"" + requestId + "\"}").length();
    }

    private static Flux<ByteBuf> emptyCalls(long calls) {
        return repeated(CALLS_BLOCK, 3 * calls);
    }

    /** {@code bytes} bytes of {@code block} over and over, in buffers that wrap it (no copy). */
    private static Flux<ByteBuf> repeated(byte[] block, long bytes) {
        long full = bytes / block.length;
        int rest = (int) (bytes % block.length);
        Flux<ByteBuf> blocks = Flux.generate(() -> 0L, (i, sink) -> {
            if (i < full) {
                sink.next(Unpooled.wrappedBuffer(block));
            } else {
                if (rest > 0) {
                    sink.next(Unpooled.wrappedBuffer(block, 0, rest));
                }
                sink.complete();
            }
            return i + 1;
        });
        return bytes == 0 ? Flux.empty() : blocks;
    }

    private static Mono<ByteBuf> one(byte[] bytes) {
        return Mono.fromSupplier(() -> Unpooled.wrappedBuffer(bytes));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] repeat(String unit, int bytes) {
        byte[] u = ascii(unit);
        byte[] out = new byte[bytes - bytes % u.length];
        for (int i = 0; i < out.length; i += u.length) {
            System.arraycopy(u, 0, out, i, u.length);
        }
        return out;
    }
}
