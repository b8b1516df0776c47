package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.KeyCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

@Timeout(30)
class OperatorPauseTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final OperatorPause pause = new OperatorPause(Duration.ofSeconds(1), Duration.ofSeconds(3), time);
    /** One sink per key check the pause started, answered by the test. */
    private final List<Sinks.One<KeyCheck>> checks = new ArrayList<>();

    private final Supplier<Mono<KeyCheck>> checker = () -> {
        Sinks.One<KeyCheck> sink = Sinks.one();
        checks.add(sink);
        return sink.asMono();
    };

    @AfterEach
    void stopTime() {
        time.dispose();
    }

    private static KeyCheck refused() {
        return new KeyCheck(KeyCheck.Verdict.REFUSED, 401, "the API refused the API key itself");
    }

    private void answer(int check, KeyCheck verdict) {
        checks.get(check).tryEmitValue(verdict).orThrow();
    }

    @Test
    void shouldDeadLetterTheRefusalWhenAKeyCheckAfterItIsAcceptedAndNeverPause() {
        List<KeyCheck> verdicts = new ArrayList<>();
        pause.verify(checker, verdicts::add);
        time.advanceTime();

        assertThat(checks).as("one key check starts at once").hasSize(1);
        assertThat(verdicts).as("no verdict before the check answers").isEmpty();
        answer(0, KeyCheck.accepted(400));

        assertThat(verdicts).extracting(KeyCheck::verdict).containsExactly(KeyCheck.Verdict.ACCEPTED);
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.OPEN);
        assertThat(pause.isReady()).isTrue();
        assertThat(pause.episodes()).isZero();
        time.advanceTimeBy(Duration.ofMinutes(5));
        assertThat(checks).as("no check without a refusal to decide").hasSize(1);
    }

    @Test
    void shouldAnswerEveryRefusalRegisteredBeforeACheckStartedWithThatCheckAndLaterOnesWithTheNext() {
        List<String> decided = new ArrayList<>();
        pause.verify(checker, v -> decided.add("a"));
        time.advanceTime();
        assertThat(checks).hasSize(1);
        pause.verify(checker, v -> decided.add("b")); // refused while the check was already out
        pause.verify(checker, v -> decided.add("c"));

        answer(0, KeyCheck.accepted(400));
        assertThat(decided)
                .as("a check answers only refusals that came before it started")
                .containsExactly("a");

        time.advanceTimeBy(Duration.ofMillis(999));
        assertThat(checks)
                .as("while not paused, at most one check per initial backoff")
                .hasSize(1);
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(checks).as("one check for both waiting refusals").hasSize(2);
        answer(1, KeyCheck.accepted(400));
        assertThat(decided).containsExactly("a", "b", "c");
    }

    @Test
    void shouldPauseOnARefusedCheckThenCheckWithADoublingCappedBackoffAndResumeWhenAccepted() {
        List<KeyCheck> verdicts = new ArrayList<>();
        pause.verify(checker, verdicts::add);
        time.advanceTime();
        answer(0, refused());

        assertThat(verdicts).extracting(KeyCheck::verdict).containsExactly(KeyCheck.Verdict.REFUSED);
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.CLOSED);
        assertThat(pause.isReady()).isFalse();
        assertThat(pause.episodes()).isEqualTo(1);

        // checks go on by themselves: after 1 s, then 2 s, then 3 s (the cap), then 3 s
        long[] waits = {1000, 2000, 3000, 3000};
        for (int i = 0; i < waits.length; i++) {
            time.advanceTimeBy(Duration.ofMillis(waits[i] - 1));
            assertThat(checks).as("check %d not before %d ms", i + 1, waits[i]).hasSize(i + 1);
            time.advanceTimeBy(Duration.ofMillis(1));
            assertThat(checks).hasSize(i + 2);
            answer(i + 1, refused());
        }
        assertThat(pause.episodes()).as("one episode however many checks fail").isEqualTo(1);

        time.advanceTimeBy(Duration.ofSeconds(3));
        answer(5, KeyCheck.accepted(400));
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.OPEN);
        assertThat(pause.isReady()).isTrue();
        time.advanceTimeBy(Duration.ofMinutes(5));
        assertThat(checks).as("no more checks once resumed").hasSize(6);
    }

    @Test
    void shouldDecideNothingWhenACheckCannotTellAndCheckAgainAfterABackoff() {
        List<KeyCheck> verdicts = new ArrayList<>();
        pause.verify(checker, verdicts::add);
        time.advanceTime();
        answer(0, new KeyCheck(KeyCheck.Verdict.UNKNOWN, 503, "transient"));

        assertThat(verdicts).isEmpty();
        assertThat(pause.isReady())
                .as("an API that cannot answer is not a refused key")
                .isTrue();
        assertThat(pause.refusalsWaiting()).isEqualTo(1);
        time.advanceTimeBy(Duration.ofSeconds(2));
        assertThat(checks).hasSize(2);
        answer(1, KeyCheck.accepted(400));
        assertThat(verdicts).extracting(KeyCheck::verdict).containsExactly(KeyCheck.Verdict.ACCEPTED);
    }

    @Test
    void shouldTreatACheckThatFailsOrHangsAsUnableToTell() {
        List<KeyCheck> verdicts = new ArrayList<>();
        pause.verify(() -> Mono.never(), verdicts::add);
        time.advanceTime();
        time.advanceTimeBy(OperatorPause.CHECK_DEADLINE);
        assertThat(verdicts).isEmpty();
        assertThat(pause.refusalsWaiting()).isEqualTo(1);

        pause.verify(
                () -> {
                    throw new IllegalStateException("boom");
                },
                verdicts::add);
        time.advanceTimeBy(Duration.ofSeconds(3));
        assertThat(verdicts).isEmpty();
        assertThat(pause.isReady()).isTrue();
    }

    @Test
    void shouldCloseTheGateForGoodWhenDraining() {
        pause.stopDispatching();
        assertThat(pause.gate()).isEqualTo(OperatorPause.Gate.CLOSED);
        assertThat(pause.isReady()).as("draining is not an operator failure").isTrue();
    }
}
