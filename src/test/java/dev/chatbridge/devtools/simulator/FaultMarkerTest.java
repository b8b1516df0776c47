package dev.chatbridge.devtools.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.devtools.simulator.FaultMarker.Kind;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class FaultMarkerTest {

    @ParameterizedTest
    @CsvSource({
        "'please #fault:503', UNAVAILABLE, 1",
        "'#fault:503x3 now', UNAVAILABLE, 3",
        "'#fault:429date', TOO_MANY_REQUESTS_DATE, 1",
        "'#fault:429datex2', TOO_MANY_REQUESTS_DATE, 2",
        "'#fault:reset', RESET, 1",
        "'#fault:midstreamx4', MIDSTREAM, 4",
        "'#FAULT:Hang', HANG, 1",
        "'#fault:stall', STALL, 1",
        "'#fault:malformed', MALFORMED, 1",
        "'#fault:400-huge', BAD_REQUEST_HUGE, 2147483647",
        "'big #FAULT:400-Hugex3 answer', BAD_REQUEST_HUGE, 2147483647",
        "'#fault:403-account', FORBIDDEN_ACCOUNT, 2147483647",
        "'#fault:401-accountx1', UNAUTHORIZED_ACCOUNT, 2147483647",
        "'#fault:404-assistant', ASSISTANT_NOT_FOUND, 2147483647",
        "'#FAULT:404-Threadx2', THREAD_NOT_FOUND, 2147483647",
        "'#fault:huge', HUGE, 1",
        "'#fault:huge-ssex2', HUGE_SSE, 2",
        "'#fault:huge-text', HUGE_TEXT, 1",
        "'#fault:200-empty', EMPTY_200, 1",
        "'#fault:200-errorx3', ERROR_200, 3",
        "'#fault:200-problem', PROBLEM_200, 1",
        "'#fault:200-sse-empty', SSE_EMPTY_200, 1",
        "'#fault:200-sse-badutf8x2', SSE_BAD_UTF8_200, 2",
        "'#fault:302', FOUND, 1",
        "'#fault:302x5', FOUND, 5",
        "'#fault:403', FORBIDDEN, 1",
        "'#fault:404', NOT_FOUND, 1",
    })
    void shouldParseKindAndAttempts(String text, Kind kind, int attempts) {
        FaultMarker marker = FaultMarker.parse(text).orElseThrow();
        assertThat(marker.kind()).isEqualTo(kind);
        assertThat(marker.attempts()).isEqualTo(attempts);
    }

    @Test
    void shouldApplyBadRequestToEveryAttemptWhateverN() {
        assertThat(FaultMarker.parse("#fault:400x2").orElseThrow().attempts()).isEqualTo(Integer.MAX_VALUE);
        assertThat(FaultMarker.parse("#fault:400").orElseThrow().attempts()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void shouldReadTheDelayOfSlow() {
        FaultMarker slow = FaultMarker.parse("#fault:slow3000x2").orElseThrow();
        assertThat(slow.kind()).isEqualTo(Kind.SLOW);
        assertThat(slow.delay()).isEqualTo(Duration.ofMillis(3000));
        assertThat(slow.attempts()).isEqualTo(2);
        assertThat(FaultMarker.parse("#fault:slow").orElseThrow().delay()).isNull();
    }

    @Test
    void shouldFindNoMarkerInPlainOrUnknownText() {
        assertThat(FaultMarker.parse("hello")).isEmpty();
        assertThat(FaultMarker.parse(null)).isEmpty();
        assertThat(FaultMarker.parse("#fault:teapot")).isEmpty();
    }
}
