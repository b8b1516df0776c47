package dev.chatbridge.api;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses a {@code text/event-stream} body fed in arbitrary byte chunks, as the WHATWG HTML standard says ("Parsing an
 * event stream"), with bounds.
 *
 * <p>Lines are split at the byte level and decoded as UTF-8 only when whole, so a multi-byte character split across
 * chunks survives. Decoding is strict, like JSON's: a line that is not valid UTF-8 raises {@link SseParseException} (no
 * replacement characters). LF, CR and CRLF all end a line, also when the CR ends one chunk and the LF starts the next.
 * A leading UTF-8 BOM is ignored. {@code data} lines are joined with {@code \n}; {@code event}, {@code id} (ignored
 * when it contains NUL) and {@code retry} (ASCII digits only) are honoured; comments ({@code :...}) and unknown fields
 * are ignored; an event is dispatched at a blank line unless its data is empty. An event still pending when the stream
 * ends is not dispatched ({@link #hasPendingEvent()} tells). The room of a large line or event is let go once it is
 * dispatched, not kept for the rest of the stream.
 *
 * <p>Bounds: a line longer than {@code maxLineBytes} or an event whose data lines together exceed {@code maxEventBytes}
 * raise {@link SseParseException}; the parser is then unusable.
 *
 * <p>Not thread-safe: one parser per stream, fed by one thread at a time.
 */
public final class SseParser {

    private static final byte LF = '\n';
    private static final byte CR = '\r';
    private static final int SMALL = 8 * 1024;
    private static final int SCRATCH = 1024;
    private static final String[] FIELDS = {"data", "event", "id", "retry"};

    private final int maxLineBytes;
    private final int maxEventBytes;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    private byte[] scratch = new byte[SCRATCH];
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean afterCr;
    private boolean firstLine = true;
    private boolean failed;

    private StringBuilder data = new StringBuilder();
    private boolean hasData;
    private long eventBytes;
    private String eventType = "";
    private String lastEventId = "";
    private Long retry;
    private boolean pending;

    /** A parser that rejects lines longer than {@code maxLineBytes} and events larger than {@code maxEventBytes}. */
    public SseParser(int maxLineBytes, int maxEventBytes) {
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be at least 1, was " + maxLineBytes);
        }
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes must be at least 1, was " + maxEventBytes);
        }
        this.maxLineBytes = maxLineBytes;
        this.maxEventBytes = maxEventBytes;
    }

    /** Feeds the readable bytes of {@code chunk} (not consumed, not released); returns the events completed. */
    public List<SseEvent> feed(ByteBuf chunk) throws SseParseException {
        int readable = chunk.readableBytes();
        if (chunk.hasArray()) {
            return feed(chunk.array(), chunk.arrayOffset() + chunk.readerIndex(), readable);
        }
        // One bulk copy instead of a bounds and reference-count check per byte (ByteBuf.getByte).
        if (scratch.length < readable) {
            scratch = new byte[Math.max(readable, Math.min(2 * scratch.length, SMALL))];
        }
        chunk.getBytes(chunk.readerIndex(), scratch, 0, readable);
        List<SseEvent> events = feed(scratch, 0, readable);
        if (scratch.length > SMALL) {
            scratch = new byte[SCRATCH]; // a large chunk's room is not kept either
        }
        return events;
    }

    /** Feeds {@code bytes}; returns the events completed. */
    public List<SseEvent> feed(byte[] bytes) throws SseParseException {
        return feed(bytes, 0, bytes.length);
    }

    /** Feeds {@code length} bytes of {@code bytes} from {@code offset}; returns the events completed. */
    public List<SseEvent> feed(byte[] bytes, int offset, int length) throws SseParseException {
        List<SseEvent> events = new ArrayList<>(2);
        for (int i = offset; i < offset + length; i++) {
            accept(bytes[i], events);
        }
        return events;
    }

    /**
     * Whether bytes were received that did not (yet) end in a dispatched event or a blank line: an incomplete line, or
     * fields of an event without its closing blank line. At the end of a stream this means the last event was cut off.
     */
    public boolean hasPendingEvent() {
        return lineLength > 0 || pending;
    }

    private void accept(byte b, List<SseEvent> events) throws SseParseException {
        if (failed) {
            throw new IllegalStateException("SseParser used after it failed");
        }
        if (b == LF && afterCr) {
            afterCr = false;
            return;
        }
        afterCr = b == CR;
        if (b == LF || b == CR) {
            processLine(events);
            lineLength = 0;
            if (line.length > SMALL) {
                line = new byte[256]; // nor a long line's
            }
            return;
        }
        if (lineLength == maxLineBytes) {
            failed = true;
            throw new SseParseException("SSE line longer than " + maxLineBytes + " bytes");
        }
        if (lineLength == line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
        }
        line[lineLength++] = b;
    }

    private void processLine(List<SseEvent> events) throws SseParseException {
        int start = 0;
        if (firstLine) {
            firstLine = false;
            if (lineLength >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
                start = 3;
            }
        }
        int length = lineLength - start;
        if (length == 0) {
            dispatch(events);
            return;
        }
        if (line[start] == ':') {
            return;
        }
        int colon = -1;
        for (int i = start; i < lineLength; i++) {
            if (line[i] == ':') {
                colon = i;
                break;
            }
        }
        String field;
        String value;
        if (colon < 0) {
            field = decode(start, lineLength);
            value = "";
        } else {
            field = knownField(start, colon);
            if (field == null) {
                field = decode(start, colon);
            }
            int valueStart = colon + 1;
            if (valueStart < lineLength && line[valueStart] == ' ') {
                valueStart++;
            }
            value = decode(valueStart, lineLength);
        }
        pending = true;
        switch (field) {
            case "event" -> eventType = value;
            case "data" -> appendData(value, lineLength - start);
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    lastEventId = value;
                }
            }
            case "retry" -> {
                if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    retry = value.length() > 18 ? Long.MAX_VALUE : Long.parseLong(value);
                }
            }
            default -> {
                // unknown fields are ignored, as the standard says
            }
        }
    }

    private void appendData(String value, int lineBytes) throws SseParseException {
        eventBytes += lineBytes;
        if (eventBytes > maxEventBytes) {
            failed = true;
            throw new SseParseException("SSE event larger than " + maxEventBytes + " bytes");
        }
        if (hasData) {
            data.append('\n');
        }
        data.append(value);
        hasData = true;
    }

    private void dispatch(List<SseEvent> events) {
        if (hasData) {
            String type = eventType.isEmpty() ? "message" : eventType;
            events.add(new SseEvent(type, data.toString(), lastEventId, retry));
        }
        if (data.capacity() > SMALL) {
            data = new StringBuilder(); // a large event's room is not kept for the rest of the stream
        } else {
            data.setLength(0);
        }
        hasData = false;
        eventBytes = 0;
        eventType = "";
        retry = null;
        pending = false;
    }

    /** The field name of {@code line[from, to)} when it is one of the four the standard names (ASCII), else null. */
    private String knownField(int from, int to) {
        for (String name : FIELDS) {
            if (to - from == name.length() && matches(name, from)) {
                return name;
            }
        }
        return null;
    }

    private boolean matches(String ascii, int from) {
        for (int i = 0; i < ascii.length(); i++) {
            if (line[from + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String decode(int from, int to) throws SseParseException {
        try {
            return utf8.decode(ByteBuffer.wrap(line, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            failed = true;
            throw new SseParseException("SSE line is not valid UTF-8");
        }
    }
}
