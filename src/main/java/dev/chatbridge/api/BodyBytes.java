package dev.chatbridge.api;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Bytes of a response body collected up to a bound; the rest is counted, not kept.
 *
 * <p>Not thread-safe: filled by the connection's event loop only.
 */
final class BodyBytes {

    private final int limit;
    private byte[] bytes = new byte[512];
    private int length;
    private boolean truncated;

    BodyBytes(int limit) {
        this.limit = limit;
    }

    /** Copies what fits of the readable bytes of {@code chunk}; returns false once the bound is passed. */
    boolean add(ByteBuf chunk) {
        int readable = chunk.readableBytes();
        int take = Math.min(readable, limit - length);
        if (take > 0) {
            if (length + take > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(length + take, bytes.length * 2)));
            }
            chunk.getBytes(chunk.readerIndex(), bytes, length, take);
            length += take;
        }
        if (take < readable) {
            truncated = true;
        }
        return !truncated;
    }

    /** Whether the body was longer than the bound. */
    boolean truncated() {
        return truncated;
    }

    byte[] bytes() {
        return Arrays.copyOf(bytes, length);
    }

    int length() {
        return length;
    }

    /** The first bytes, at most {@code maxBytes}, cut at a character boundary and decoded as UTF-8; null when empty. */
    String excerpt(int maxBytes) {
        return excerpt(bytes, length, maxBytes);
    }

    static String excerpt(byte[] source, int sourceLength, int maxBytes) {
        if (sourceLength == 0) {
            return null;
        }
        int end = Math.min(sourceLength, maxBytes);
        if (end < sourceLength) {
            while (end > 0 && (source[end] & 0xC0) == 0x80) {
                end--;
            }
        }
        return new String(source, 0, end, StandardCharsets.UTF_8);
    }
}
