package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SseParserTest {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    /** Every feature in one stream, with all three kinds of line end. */
    private static final String STREAM = ": a comment\r\n"
            + "event: first\r\n"
            + "id: 1\r\n"
            + "retry: 1500\r\n"
            + "data: h\u00e9llo \uD83D\uDE00\r\n"
            + "data:  two\r\n"
            + "\r\n"
            + "data:x\r"
            + "data: y\r"
            + "\r"
            + "data\n"
            + "\n"
            + ":keep-alive\n"
            + "\n"
            + "data: z\n"
            + "id: a\u0000b\n"
            + "unknown: field\n"
            + "\n"
            + "event: no-data\n"
            + "id: 2\n"
            + "\n"
            + "retry: 12a\n"
            + "data: after\n"
            + "\n"
            + "data: pending";

    private static final List<SseEvent> EXPECTED = List.of(
            new SseEvent("first", "h\u00e9llo \uD83D\uDE00\n two", "1", 1500L),
            new SseEvent("message", "x\ny", "1", null),
            new SseEvent("message", "", "1", null),
            new SseEvent("message", "z", "1", null),
            new SseEvent("message", "after", "2", null));

    private static byte[] streamBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(BOM);
        out.writeBytes(STREAM.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @Test
    void shouldParseEveryFieldKindWhenStreamComesInOneChunk() throws Exception {
        // Given
        SseParser parser = new SseParser(1024, 4096);

        // When
        List<SseEvent> events = parser.feed(streamBytes());

        // Then
        assertThat(events).containsExactlyElementsOf(EXPECTED);
        assertThat(parser.hasPendingEvent())
                .as("the last event lacks its blank line")
                .isTrue();
    }

    @Test
    void shouldGiveTheSameEventsWhenStreamIsSplitAtEveryPosition() throws Exception {
        byte[] bytes = streamBytes();
        for (int cut = 0; cut <= bytes.length; cut++) {
            // Given
            SseParser parser = new SseParser(1024, 4096);

            // When
            List<SseEvent> events = new ArrayList<>(parser.feed(Arrays.copyOfRange(bytes, 0, cut)));
            events.addAll(parser.feed(Arrays.copyOfRange(bytes, cut, bytes.length)));

            // Then
            assertThat(events).as("split at byte %d", cut).containsExactlyElementsOf(EXPECTED);
        }
    }

    @Test
    void shouldGiveTheSameEventsWhenStreamIsSplitAtEveryPairOfPositionsAsByteBufs() throws Exception {
        byte[] bytes = streamBytes();
        for (int first = 0; first <= bytes.length; first++) {
            for (int second = first; second <= bytes.length; second += 7) {
                // Given
                SseParser parser = new SseParser(1024, 4096);
                List<SseEvent> events = new ArrayList<>();

                // When
                for (int[] range : new int[][] {{0, first}, {first, second}, {second, bytes.length}}) {
                    ByteBuf chunk = Unpooled.wrappedBuffer(bytes, range[0], range[1] - range[0]);
                    events.addAll(parser.feed(chunk));
                    assertThat(chunk.readableBytes()).isEqualTo(range[1] - range[0]);
                }

                // Then
                assertThat(events).as("split at bytes %d and %d", first, second).containsExactlyElementsOf(EXPECTED);
            }
        }
    }

    @Test
    void shouldGiveTheSameEventsFromDirectBuffersReadFromTheMiddle() throws Exception {
        byte[] bytes = streamBytes();
        for (int first = 0; first <= bytes.length; first++) {
            for (int second = first; second <= bytes.length; second += 5) {
                // Given
                SseParser parser = new SseParser(1024, 4096);
                List<SseEvent> events = new ArrayList<>();

                // When: off-heap chunks (no array behind them) whose readable bytes start after 3 read ones
                for (int[] range : new int[][] {{0, first}, {first, second}, {second, bytes.length}}) {
                    int length = range[1] - range[0];
                    ByteBuf chunk = Unpooled.directBuffer(length + 3).writeBytes(new byte[3]);
                    chunk.writeBytes(bytes, range[0], length).readerIndex(3);
                    try {
                        events.addAll(parser.feed(chunk));
                        assertThat(chunk.readableBytes()).isEqualTo(length);
                    } finally {
                        chunk.release();
                    }
                }

                // Then
                assertThat(events).as("split at bytes %d and %d", first, second).containsExactlyElementsOf(EXPECTED);
            }
        }
    }

    @Test
    void shouldParseAChunkLargerThanItsScratchRoomAndTheSmallOnesAfterIt() throws Exception {
        // Given: one 40 kB event in one off-heap chunk, then the normal stream
        String large = "data: " + "x".repeat(40_000) + "\n\n";
        SseParser parser = new SseParser(64 * 1024, 64 * 1024);
        ByteBuf big = Unpooled.directBuffer().writeBytes(large.getBytes(StandardCharsets.UTF_8));
        ByteBuf rest = Unpooled.directBuffer().writeBytes(STREAM.getBytes(StandardCharsets.UTF_8));
        List<SseEvent> events = new ArrayList<>();

        // When
        try {
            events.addAll(parser.feed(big));
            events.addAll(parser.feed(rest));
        } finally {
            big.release();
            rest.release();
        }

        // Then
        assertThat(events.get(0).data()).hasSize(40_000);
        assertThat(events.subList(1, events.size())).containsExactlyElementsOf(EXPECTED);
    }

    @Test
    void shouldGiveTheSameEventsWhenStreamComesOneByteAtATime() throws Exception {
        // Given
        byte[] bytes = streamBytes();
        SseParser parser = new SseParser(1024, 4096);
        List<SseEvent> events = new ArrayList<>();

        // When
        for (byte b : bytes) {
            events.addAll(parser.feed(new byte[] {b}));
        }

        // Then
        assertThat(events).containsExactlyElementsOf(EXPECTED);
    }

    @Test
    void shouldKeepMultiByteCharactersWhenTheyAreSplitAcrossChunks() throws Exception {
        // Given: é is 2 bytes (C3 A9), the emoji 4 (F0 9F 98 80)
        byte[] bytes = "data: \u00e9\uD83D\uDE00\n\n".getBytes(StandardCharsets.UTF_8);
        int start = "data: ".length();
        for (int cut = start + 1; cut < start + 6; cut++) {
            SseParser parser = new SseParser(64, 64);

            // When
            List<SseEvent> events = new ArrayList<>(parser.feed(bytes, 0, cut));
            events.addAll(parser.feed(bytes, cut, bytes.length - cut));

            // Then
            assertThat(events)
                    .as("split at byte %d", cut)
                    .extracting(SseEvent::data)
                    .containsExactly("\u00e9\uD83D\uDE00");
        }
    }

    @Test
    void shouldTreatCrAndLfInTwoChunksAsOneLineEnd() throws Exception {
        // Given
        SseParser parser = new SseParser(64, 64);

        // When
        List<SseEvent> first = parser.feed("data: a\r".getBytes(StandardCharsets.UTF_8));
        List<SseEvent> second = parser.feed("\ndata: b\r".getBytes(StandardCharsets.UTF_8));
        List<SseEvent> third = parser.feed("\n\r\n".getBytes(StandardCharsets.UTF_8));

        // Then: had the LF counted as a second line end, "a" would have been dispatched alone
        assertThat(first).isEmpty();
        assertThat(second).isEmpty();
        assertThat(third).containsExactly(new SseEvent("message", "a\nb", "", null));
        assertThat(parser.hasPendingEvent()).isFalse();
    }

    @Test
    void shouldNotDispatchAnEventWithoutData() throws Exception {
        // Given
        SseParser parser = new SseParser(64, 64);

        // When
        List<SseEvent> events = parser.feed("event: ping\nid: 3\n\n: comment\n\n".getBytes(StandardCharsets.UTF_8));

        // Then
        assertThat(events).isEmpty();
        assertThat(parser.hasPendingEvent()).isFalse();
    }

    @Test
    void shouldRejectALineLongerThanTheBound() {
        // Given
        SseParser parser = new SseParser(16, 1024);

        // When / Then
        assertThatThrownBy(() -> parser.feed(": this comment is far too long\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SseParseException.class)
                .hasMessage("SSE line longer than 16 bytes");
    }

    @Test
    void shouldRejectAnEventLargerThanTheBoundEvenWhenEachLineFits() throws Exception {
        // Given
        SseParser parser = new SseParser(64, 30);
        parser.feed("data: 0123456789\n".getBytes(StandardCharsets.UTF_8));

        // When / Then
        assertThatThrownBy(() -> parser.feed("data: 0123456789\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SseParseException.class)
                .hasMessage("SSE event larger than 30 bytes");
    }

    @Test
    void shouldAcceptEventsUpToTheBoundOneAfterAnother() throws Exception {
        // Given: each event's data lines total 16 bytes, the bound
        SseParser parser = new SseParser(64, 16);

        // When
        List<SseEvent> events =
                parser.feed("data: 0123456789\n\ndata: abcdefghij\n\n".getBytes(StandardCharsets.UTF_8));

        // Then
        assertThat(events).extracting(SseEvent::data).containsExactly("0123456789", "abcdefghij");
    }

    @Test
    void shouldRejectMalformedUtf8InsteadOfReplacingIt() throws Exception {
        // Given: a lone continuation byte, then a truncated two-byte sequence in a field name
        SseParser parser = new SseParser(64, 64);
        SseParser other = new SseParser(64, 64);

        // When / Then
        assertThatThrownBy(() -> parser.feed(new byte[] {'d', 'a', 't', 'a', ':', (byte) 0x80, '\n'}))
                .isInstanceOf(SseParseException.class)
                .hasMessage("SSE line is not valid UTF-8");
        assertThatThrownBy(() -> other.feed(new byte[] {'e', (byte) 0xC3, ':', 'x', '\n'}))
                .isInstanceOf(SseParseException.class)
                .hasMessage("SSE line is not valid UTF-8");
    }

    @Test
    void shouldDecodeACharacterSplitAcrossChunksStrictly() throws Exception {
        // Given
        SseParser parser = new SseParser(64, 64);
        byte[] bytes = "data: é\n\n".getBytes(StandardCharsets.UTF_8);

        // When
        List<SseEvent> first = parser.feed(bytes, 0, 7);
        List<SseEvent> rest = parser.feed(bytes, 7, bytes.length - 7);

        // Then
        assertThat(first).isEmpty();
        assertThat(rest).extracting(SseEvent::data).containsExactly("é");
    }
}
