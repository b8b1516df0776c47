package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class OperatorPauseTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void shouldLetOneProbeThroughAfterTheBackoffAndDoubleItWhileTheApiKeepsRefusing() {
        ManualClock clock = new ManualClock();
        OperatorPause pause = new OperatorPause(Duration.ofSeconds(1), Duration.ofSeconds(3), clock);
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.OPEN);

        // a refused call pauses the instance
        pause.onOperatorFailure(401, "bad key", false);
        assertThat(pause.isReady()).isFalse();
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.CLOSED);

        // after the backoff, exactly one probe
        clock.advance(Duration.ofSeconds(1));
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.PROBE);
        assertThat(pause.gate()).as("a second caller while the probe is out").isEqualTo(OperatorPause.Gate.CLOSED);

        // the probe is refused: the backoff doubles (1 s → 2 s)
        pause.onOperatorFailure(401, "bad key", true);
        clock.advance(Duration.ofMillis(1999));
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.CLOSED);
        clock.advance(Duration.ofMillis(1));
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.PROBE);

        // capped at 3 s
        pause.onOperatorFailure(401, "bad key", true);
        clock.advance(Duration.ofSeconds(3));
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.PROBE);

        // the API accepts the probe: open again, one episode in all
        pause.onAccepted(true);
        assertThat(pause.isReady()).isTrue();
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.OPEN);
        assertThat(pause.episodes()).isEqualTo(1);
    }

    @Test
    void shouldLetAnotherProbeGoWhenAProbeWasCancelled() {
        ManualClock clock = new ManualClock();
        OperatorPause pause = new OperatorPause(Duration.ofSeconds(1), Duration.ofSeconds(3), clock);
        pause.onOperatorFailure(403, "revoked", false);
        clock.advance(Duration.ofSeconds(1));
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.PROBE);

        pause.probeEnded();

        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.PROBE);
    }
}
