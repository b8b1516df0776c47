package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The huge bodies are streamed in small buffers over shared blocks: bounded memory whatever the size. */
@Timeout(30)
class HugeBodiesTest {

    @ParameterizedTest
    @ValueSource(ints = {18, 19, 20, 1_024, 65_553, 17_300_000})
    void shouldWriteExactlyTheAskedSizeOfToolCallsInSmallBuffersOverSharedBlocks(int size) {
        Written w = write(HugeBodies.toolCalls(size));

        assertThat(w.bytes).isEqualTo(size);
        assertThat(w.largest).isLessThanOrEqualTo(HugeBodies.BLOCK_BYTES);
        assertThat(w.backingArrays)
                .as("distinct arrays behind %d buffers", w.buffers)
                .isLessThanOrEqualTo(3);
        assertThat(w.head).startsWith("{\"toolCalls\":[{}");
        assertThat(w.tail).endsWith("]}");
    }

    @Test
    void shouldWriteEventsOfToolCallsBelowOneMebibyte() {
        Written w = write(HugeBodies.toolCallEvents(17_300_000));

        assertThat(w.bytes).isBetween(17_300_000L, 17_300_000L + (1 << 20));
        assertThat(w.largest).isLessThanOrEqualTo(HugeBodies.BLOCK_BYTES);
        assertThat(w.backingArrays).isLessThanOrEqualTo(6);
        assertThat(w.head).startsWith(": keep-alive\n\ndata: {\"toolCalls\":[{}");
        assertThat(w.tail).endsWith("]}\n\n");
    }

    @Test
    void shouldWriteATextOfTheAskedSize() {
        Written w = write(HugeBodies.text(1_000_000, "sim-00000001"));

        assertThat(w.bytes)
                .isEqualTo(HugeBodies.textSize(1_000_000, "sim-00000001"))
                .isEqualTo(1_000_000 + "{\"text\":\"\",\"requestId\":\"sim-00000001\"}".length());
        assertThat(w.largest).isLessThanOrEqualTo(HugeBodies.BLOCK_BYTES);
        assertThat(w.backingArrays).isLessThanOrEqualTo(3);
    }

    @Test
    void shouldMakeEachBufferOnlyWhenAsked() {
        StepVerifier.create(HugeBodies.toolCalls(17_300_000), 0)
                .expectSubscription()
                .thenRequest(2)
                .expectNextCount(2)
                .thenCancel()
                .verify();
    }

    private record Written(long bytes, int buffers, int largest, int backingArrays, String head, String tail) {}

    private static Written write(Flux<ByteBuf> body) {
        Map<byte[], Boolean> arrays = new IdentityHashMap<>();
        long[] bytes = {0};
        int[] buffers = {0};
        int[] largest = {0};
        List<String> ends = new ArrayList<>(List.of("", ""));
        body.doOnNext(b -> {
                    int n = b.readableBytes();
                    if (buffers[0] == 0 || buffers[0] == 1) {
                        ends.set(0, ends.get(0) + b.toString(b.readerIndex(), Math.min(n, 40), StandardCharsets.UTF_8));
                    }
                    ends.set(
                            1,
                            b.toString(b.readerIndex() + Math.max(0, n - 40), Math.min(n, 40), StandardCharsets.UTF_8));
                    bytes[0] += n;
                    buffers[0]++;
                    largest[0] = Math.max(largest[0], n);
                    if (b.hasArray()) {
                        arrays.put(b.array(), true);
                    }
                    b.release();
                })
                .blockLast();
        return new Written(bytes[0], buffers[0], largest[0], arrays.size(), ends.get(0), ends.get(1));
    }
}
