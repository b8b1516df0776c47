package dev.chatbridge.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A value of the pending table: something accepted from the input whose outcome is not published yet, and how far its
 * calls have got.
 *
 * <p>The request is kept as the producer's own bytes (Confluent-framed Avro with the producer's schema id), never
 * re-encoded: nothing is registered under the producers' subject, and reading an entry needs no schema look-up until
 * the entry is dispatched. {@code init()} reads only the fixed header of each entry.
 *
 * @param kind what the entry is waiting for
 * @param attempts calls that reached an outcome so far (0 before the first)
 * @param firstAttemptAt epoch millis when the first call started, or {@link #NONE}
 * @param notBefore epoch millis before which the entry must not be handled (retry backoff), or {@link #NONE}
 * @param input what is known of the input record it came from
 * @param note why a {@link Kind#REFUSED} or {@link Kind#UNDECODABLE} entry is refused; null otherwise
 * @param requestId the request's id when known and valid, for dead letters of entries without a value
 * @param threadId the request's {@code threadId} when known and valid, likewise
 * @param rawKey the input key when kept (undecodable and parked entries), else null
 * @param value the input value bytes when kept, else null (left out because over the size budget)
 */
record PendingEntry(
        Kind kind,
        int attempts,
        long firstAttemptAt,
        long notBefore,
        InputFacts input,
        String note,
        String requestId,
        String threadId,
        byte[] rawKey,
        byte[] value) {

    static final long NONE = -1L;

    /** What an entry waits for. */
    enum Kind {
        /** A valid request: to be called. */
        REQUEST,
        /**
         * A request refused before any call: its INVALID_REQUEST dead letter waits for its conversation's earlier
         * entries.
         */
        REFUSED,
        /** Input that cannot be decoded: its dead letter waits until it can be published. */
        UNDECODABLE,
        /** Input read while the schema registry could not be asked: decoded once it answers. */
        PARKED,
        /**
         * A request the impersonation policy denied before any call: its IMPERSONATION_DENIED dead letter waits for its
         * conversation's earlier entries. Written only when a policy is configured.
         */
        DENIED;

        /** Entries handled on the stream thread, without an API call (no in-flight permit). */
        boolean isLocal() {
            return this != REQUEST;
        }
    }

    PendingEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(input, "input");
        if (kind == Kind.REQUEST && value == null) {
            throw new IllegalArgumentException("a request entry needs the request's bytes");
        }
    }

    static PendingEntry request(InputFacts input, byte[] value) {
        return new PendingEntry(Kind.REQUEST, 0, NONE, NONE, input, null, null, null, null, value);
    }

    PendingEntry withAttempt(int newAttempts, long newFirstAttemptAt, long newNotBefore) {
        return new PendingEntry(
                kind, newAttempts, newFirstAttemptAt, newNotBefore, input, note, requestId, threadId, rawKey, value);
    }

    PendingEntry withNotBefore(long newNotBefore) {
        return withAttempt(attempts, firstAttemptAt, newNotBefore);
    }

    // ---- stored form -------------------------------------------------------------------------

    private static final byte V1 = 1;
    private static final byte V2 = 2;
    /** Version 2 plus the producer's identity at the end. */
    private static final byte V3 = 3;
    /** Bytes of the header that {@link #header} reads: version, kind, attempts, first attempt, not before. */
    private static final int V2_HEADER = 1 + 1 + 4 + 8 + 8;

    private static final int V1_HEADER = 1 + 4 + 8 + 8;

    /** The producer's identity (stored form) as checked when the record was read, or null. */
    String producer() {
        return input.producer();
    }

    /** The part of an entry that {@code init()} needs: no request bytes are copied or decoded. */
    record Header(Kind kind, long notBefore) {}

    /**
     * Serialized form, version 3: {@code [3][kind][int attempts][long firstAttemptAt][long notBefore]} then the input
     * facts, the note, ids, raw key, value and the producer's identity, each length-prefixed ({@code -1} for null).
     * Version 2 is the same without the identity, and is what is written when there is none.
     */
    byte[] toBytes() {
        byte[] noteBytes = utf8(note);
        byte[] requestIdBytes = utf8(requestId);
        byte[] threadIdBytes = utf8(threadId);
        byte[] sha = input.valueSha256() == null ? null : input.valueSha256().getBytes(StandardCharsets.US_ASCII);
        byte[] producer = utf8(input.producer());
        int size = V2_HEADER
                + 4
                + 8
                + 4
                + 4
                + len(sha)
                + len(noteBytes)
                + len(requestIdBytes)
                + len(threadIdBytes)
                + len(rawKey)
                + len(value)
                + (producer == null ? 0 : len(producer));
        // Version 2 while there is no identity, so that entries stay readable by the previous release.
        ByteBuffer b = ByteBuffer.allocate(size)
                .put(producer == null ? V2 : V3)
                .put((byte) kind.ordinal())
                .putInt(attempts)
                .putLong(firstAttemptAt)
                .putLong(notBefore)
                .putInt(input.partition())
                .putLong(input.offset())
                .putInt(input.keySize())
                .putInt(input.valueSize());
        put(b, sha);
        put(b, noteBytes);
        put(b, requestIdBytes);
        put(b, threadIdBytes);
        put(b, rawKey);
        put(b, value);
        if (producer != null) {
            put(b, producer);
        }
        return b.array();
    }

    /**
     * Reads a stored entry. Version 1 entries (before the producer's bytes were kept) hold the request re-encoded with
     * the requests serde, which reads the same way.
     *
     * @throws IllegalStateException for bytes of an unknown version
     */
    static PendingEntry fromBytes(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (version == V1) {
            int attempts = b.getInt();
            long first = b.getLong();
            long notBefore = b.getLong();
            byte[] request = new byte[b.remaining()];
            b.get(request);
            return new PendingEntry(
                    Kind.REQUEST, attempts, first, notBefore, InputFacts.UNKNOWN, null, null, null, null, request);
        }
        if (version != V2 && version != V3) {
            throw new IllegalStateException("pending entry of unknown format version " + version);
        }
        Kind kind = Kind.values()[b.get()];
        int attempts = b.getInt();
        long first = b.getLong();
        long notBefore = b.getLong();
        int partition = b.getInt();
        long offset = b.getLong();
        int keySize = b.getInt();
        int valueSize = b.getInt();
        byte[] sha = get(b);
        String note = string(get(b));
        String requestId = string(get(b));
        String threadId = string(get(b));
        byte[] rawKey = get(b);
        byte[] value = get(b);
        String producer = version == V3 ? string(get(b)) : null;
        InputFacts input = new InputFacts(
                partition,
                offset,
                keySize,
                valueSize,
                sha == null ? null : new String(sha, StandardCharsets.US_ASCII),
                producer);
        return new PendingEntry(kind, attempts, first, notBefore, input, note, requestId, threadId, rawKey, value);
    }

    /** Reads only the header: what {@code init()} needs to rebuild the index. */
    static Header header(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (version == V1 && bytes.length >= V1_HEADER) {
            b.getInt();
            b.getLong();
            return new Header(Kind.REQUEST, b.getLong());
        }
        if ((version != V2 && version != V3) || bytes.length < V2_HEADER) {
            throw new IllegalStateException("pending entry of unknown format version " + version);
        }
        Kind kind = Kind.values()[b.get()];
        b.getInt();
        b.getLong();
        return new Header(kind, b.getLong());
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static int len(byte[] bytes) {
        return 4 + (bytes == null ? 0 : bytes.length);
    }

    private static void put(ByteBuffer b, byte[] bytes) {
        if (bytes == null) {
            b.putInt(-1);
        } else {
            b.putInt(bytes.length).put(bytes);
        }
    }

    private static byte[] get(ByteBuffer b) {
        int length = b.getInt();
        if (length < 0) {
            return null;
        }
        if (length > b.remaining()) {
            throw new IllegalStateException(
                    "pending entry is cut short: a field claims " + length + " bytes, " + b.remaining() + " are left");
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return bytes;
    }
}
