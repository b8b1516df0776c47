package dev.chatbridge.registry;

import java.io.ByteArrayOutputStream;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;

/** Reads an HTTP body into memory with a size bound, for both the registry client and server. */
public final class HttpBodies {

    /** The body was longer than the bound. */
    public static final class TooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TooLargeException(long maxBytes) {
            super("HTTP body larger than " + maxBytes + " bytes");
        }
    }

    private HttpBodies() {}

    /** The whole body, or a {@link TooLargeException} error as soon as it passes {@code maxBytes}. */
    public static Mono<byte[]> read(ByteBufFlux body, int maxBytes) {
        return body.asByteArray()
                .reduceWith(ByteArrayOutputStream::new, (out, chunk) -> {
                    if (out.size() + (long) chunk.length > maxBytes) {
                        throw new TooLargeException(maxBytes);
                    }
                    out.writeBytes(chunk);
                    return out;
                })
                .map(ByteArrayOutputStream::toByteArray)
                .defaultIfEmpty(new byte[0]);
    }
}
