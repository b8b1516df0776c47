package dev.chatbridge.serde;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary decoder over one record's bytes that checks every claimed length and item count before anything is
 * allocated for it: a string, bytes value, array block or map block that claims more than the bytes left in the record
 * fails with {@link LengthException} at once, so a few hostile bytes cannot make Avro allocate gigabytes. The limits of
 * {@link AvroLimits} apply as well, whether or not Avro itself read them in time.
 *
 * <p>Fixed-size values are read by an unbuffered {@link BinaryDecoder} over the bytes, so the bytes left are always
 * exact; the length-prefixed values are decoded here, from their length. Array items of a type that can be encoded in
 * zero bytes (null, an empty record) take no bytes, so when the writer schema has such an array ({@code countsNeedBytes
 * == false}) array counts are bounded only by Avro's collection limit, applied to the total of all items in the record.
 *
 * <p>Not thread-safe: one per decode, on the calling thread.
 */
final class BoundedDecoder extends Decoder {

    /**
     * A claimed length or count that the record cannot hold ({@code TRUNCATED}: the body ends before what it claims, as
     * a cut record would) or that is over Avro's limits ({@code LIMIT_EXCEEDED}).
     */
    static final class LengthException extends IOException {
        private static final long serialVersionUID = 1L;
        private final SerdeException.Kind kind;

        LengthException(SerdeException.Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        SerdeException.Kind kind() {
            return kind;
        }
    }

    private final Bytes input;
    private final BinaryDecoder in;
    private final boolean countsNeedBytes;
    private long items;

    BoundedDecoder(byte[] data, int offset, int length, boolean countsNeedBytes) {
        this.input = new Bytes(data, offset, length);
        this.in = DecoderFactory.get().directBinaryDecoder(input, null);
        this.countsNeedBytes = countsNeedBytes;
    }

    /** Bytes not read yet. */
    int remaining() {
        return input.available();
    }

    @Override
    public void readNull() throws IOException {
        in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return in.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = length("string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        in.readFixed(result.getBytes(), 0, length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = length("string");
        byte[] bytes = new byte[length];
        in.readFixed(bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void skipString() throws IOException {
        in.skipFixed(length("string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = length("bytes");
        ByteBuffer result;
        if (old != null && length <= old.capacity() && old.hasArray()) {
            result = old;
            result.clear();
        } else {
            result = ByteBuffer.allocate(length);
        }
        in.readFixed(result.array(), result.arrayOffset(), length);
        result.limit(length);
        return result;
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipFixed(length("bytes"));
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return count("array", countsNeedBytes);
    }

    @Override
    public long arrayNext() throws IOException {
        return count("array", countsNeedBytes);
    }

    @Override
    public long skipArray() throws IOException {
        return skipBlocks("array", countsNeedBytes);
    }

    @Override
    public long readMapStart() throws IOException {
        return count("map", true);
    }

    @Override
    public long mapNext() throws IOException {
        return count("map", true);
    }

    @Override
    public long skipMap() throws IOException {
        return skipBlocks("map", true);
    }

    @Override
    public int readIndex() throws IOException {
        return in.readIndex();
    }

    /** The length prefix of a string or bytes value, checked against the bytes left and Avro's limits. */
    private int length(String what) throws IOException {
        long length = in.readLong();
        int left = remaining();
        if (length < 0) {
            throw new LengthException(
                    SerdeException.Kind.CORRUPT_PAYLOAD, "a " + what + " claims a negative length " + length);
        }
        if (length > left) {
            throw new LengthException(
                    SerdeException.Kind.TRUNCATED,
                    "a " + what + " claims " + length + " bytes, but only " + left + " bytes are left in the record");
        }
        int limit = what.equals("string") ? AvroLimits.maxStringLength() : AvroLimits.maxBytesLength();
        if (length > limit) {
            throw new LengthException(
                    SerdeException.Kind.LIMIT_EXCEEDED,
                    "a " + what + " of " + length
                            + " bytes is over the limit of " + limit + " ("
                            + (what.equals("string") ? AvroLimits.STRING_MAX_LENGTH : AvroLimits.BYTES_MAX_LENGTH)
                            + ")");
        }
        return (int) length;
    }

    /**
     * The item count of the next block of an array or map; a negative count is followed by the block's size in bytes,
     * which is read and checked too.
     */
    private long count(String what, boolean itemsNeedBytes) throws IOException {
        long count = in.readLong();
        if (count < 0) {
            count = itemsOfSizedBlock(what, count);
            checkBlockSize(what, in.readLong());
        }
        checkCount(what, count, itemsNeedBytes);
        return count;
    }

    /**
     * Skips blocks that carry their size in bytes; returns the count of a block whose items must be skipped one by one.
     */
    private long skipBlocks(String what, boolean itemsNeedBytes) throws IOException {
        while (true) {
            long count = in.readLong();
            if (count >= 0) {
                checkCount(what, count, itemsNeedBytes);
                return count;
            }
            long items = itemsOfSizedBlock(what, count);
            long size = in.readLong();
            checkBlockSize(what, size);
            checkCount(what, items, itemsNeedBytes);
            in.skipFixed((int) size);
        }
    }

    /** The item count of a block whose negative count says that its size in bytes follows. */
    private static long itemsOfSizedBlock(String what, long negativeCount) throws LengthException {
        if (negativeCount == Long.MIN_VALUE) {
            throw new LengthException(
                    SerdeException.Kind.CORRUPT_PAYLOAD,
                    "an " + what + " block claims an item count of " + negativeCount);
        }
        return -negativeCount;
    }

    private void checkBlockSize(String what, long size) throws IOException {
        int left = remaining();
        if (size < 0 || size > left) {
            throw new LengthException(
                    SerdeException.Kind.TRUNCATED,
                    "an " + what + " block claims a size of " + size + " bytes, but only " + left
                            + " bytes are left in the record");
        }
    }

    private void checkCount(String what, long count, boolean itemsNeedBytes) throws IOException {
        int left = remaining();
        if (itemsNeedBytes && count > left) {
            throw new LengthException(
                    SerdeException.Kind.TRUNCATED,
                    "an " + what + " block claims " + count + " items, but only " + left
                            + " bytes are left in the record (each item takes at least one)");
        }
        if (count > AvroLimits.maxCollectionItems() - items) {
            throw new LengthException(
                    SerdeException.Kind.LIMIT_EXCEEDED,
                    "an " + what + " block claims " + count
                            + " items after " + items + " in this record, over the limit of "
                            + AvroLimits.maxCollectionItems()
                            + " (" + AvroLimits.COLLECTION_ITEMS_MAX_LENGTH + ")");
        }
        items += count;
    }

    /** The record's bytes as an unsynchronised stream whose {@link #available()} is exact. */
    private static final class Bytes extends InputStream {
        private final byte[] data;
        private final int end;
        private int position;

        Bytes(byte[] data, int offset, int length) {
            this.data = data;
            this.position = offset;
            this.end = offset + length;
        }

        @Override
        public int read() {
            return position < end ? data[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= end) {
                return -1;
            }
            int n = Math.min(length, end - position);
            System.arraycopy(data, position, target, offset, n);
            position += n;
            return n;
        }

        @Override
        public long skip(long n) {
            long skipped = Math.max(0, Math.min(n, end - position));
            position += (int) skipped;
            return skipped;
        }

        @Override
        public int available() {
            return end - position;
        }
    }
}
