package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.CallOutcome;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FlowControlTest {

    private static final String TOPIC = "chat-requests";

    /** Tells 12 partitions for every topic. */
    private static final TopicIdentity TWELVE = new TopicIdentity() {
        @Override
        public Optional<String> idOf(String topic) {
            return Optional.empty();
        }

        @Override
        public OptionalInt partitionsOf(String topic) {
            return OptionalInt.of(12);
        }
    };

    private static FlowControl flow(EngineConfig.Builder config, TopicIdentity topics) {
        FlowControl flow = new FlowControl(config.build(), topics);
        flow.attach(new InFlightLimiter(config.build().maxInFlight()));
        return flow;
    }

    private static CallOutcome tooMany(Duration retryAfter) {
        return new CallOutcome.RetriableFailure(429, retryAfter, null, "429 Too Many Requests");
    }

    @Test
    void shouldShareTheRateQuotaByOwnedPartitionsAndRecomputeItWhenTasksMove() {
        // Given a quota of 60 requests/s on a 12-partition input
        FlowControl flow = flow(EngineConfig.builder().quotaRequestsPerSecond(60), TWELVE);
        assertThat(flow.share()).as("before any task").isZero();

        // When the instance opens 4 tasks, then loses one, then gets 6 in all
        for (int p = 0; p < 4; p++) {
            flow.taskOpened(TOPIC, p);
        }
        double withFour = flow.rateShare();
        flow.taskClosed(TOPIC, 3);
        double withThree = flow.rateShare();
        flow.taskOpened(TOPIC, 3);
        flow.taskOpened(TOPIC, 4);
        flow.taskOpened(TOPIC, 5);

        // Then its share follows owned / all partitions
        assertThat(withFour).isEqualTo(20.0);
        assertThat(withThree).isEqualTo(15.0);
        assertThat(flow.share()).isEqualTo(0.5);
        assertThat(flow.rateShare()).isEqualTo(30.0);
    }

    @Test
    void shouldLimitCallsInFlightToTheConcurrencyShareButToAtLeastOneWhileOwningATask() {
        // Given a concurrency quota of 10 on 12 partitions and a ceiling of 64
        InFlightLimiter limiter = new InFlightLimiter(64);
        FlowControl flow = new FlowControl(
                EngineConfig.builder().maxInFlight(64).quotaMaxInFlight(10).build(), TWELVE);
        flow.attach(limiter);

        // When the instance owns one task, then six
        flow.taskOpened(TOPIC, 0);
        int withOne = limiter.limit();
        for (int p = 1; p < 6; p++) {
            flow.taskOpened(TOPIC, p);
        }

        // Then floor(10 x 1/12) = 0 is raised to 1, and floor(10 x 6/12) = 5
        assertThat(withOne).isEqualTo(1);
        assertThat(limiter.limit()).isEqualTo(5);
    }

    @Test
    void shouldTakeTheWholeQuotaWhenThePartitionCountCannotBeTold() {
        FlowControl flow = flow(EngineConfig.builder().quotaRequestsPerSecond(60), TopicIdentity.UNKNOWN);

        flow.taskOpened(TOPIC, 7);

        assertThat(flow.share()).isEqualTo(1.0);
        assertThat(flow.rateShare()).isEqualTo(60.0);
    }

    @Test
    void shouldNeverLetMoreTokensOutThanTheRateAndTheSmallBurstAllow() {
        // Given the bucket of a 20 requests/s share
        Bucket bucket = FlowControl.bucketOf(20);
        long start = System.nanoTime();

        // When a loop takes every token it can for 300 ms
        int taken = 0;
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(300)) {
            if (bucket.tryConsume(1)) {
                taken++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        // Then at most rate x time (it starts empty) plus rounding went out
        assertThat(taken).isLessThanOrEqualTo((int) Math.ceil(20 * seconds) + 1);
        assertThat(taken).as("tokens do come").isPositive();
    }

    @Test
    void shouldPauseEveryStartForTheRetryAfterOfA429WhenAdaptive() {
        // Given adaptive flow control with Retry-After capped at 5 s
        FlowControl flow = flow(
                EngineConfig.builder()
                        .adaptive(true)
                        .retryPolicy(EngineConfig.builder().build().retryPolicy()),
                TopicIdentity.UNKNOWN);
        Duration cap = EngineConfig.builder().build().retryPolicy().maxRetryAfter();

        // When a call ends with 429 and Retry-After: 2
        flow.callEnded(tooMany(Duration.ofSeconds(2)), System.nanoTime(), 1_000_000, 1);

        // Then starts wait about 2 s, and the time paused is counted
        long wait = flow.tryPass();
        assertThat(wait).isBetween(TimeUnit.MILLISECONDS.toNanos(1_500), TimeUnit.SECONDS.toNanos(2));
        assertThat(flow.pausedSeconds()).isBetween(1.9, 2.1);
        assertThat(flow.heldByPause()).isEqualTo(1);
        assertThat(flow.quotaRetryAfter(tooMany(Duration.ofHours(1)))).isEqualTo(cap);
        assertThat(flow.quotaRetryAfter(tooMany(null))).isNull();
        assertThat(flow.quotaRetryAfter(new CallOutcome.RetriableFailure(503, Duration.ofSeconds(1), null, "503")))
                .as("only a 429 pauses")
                .isNull();
    }

    @Test
    void shouldNeitherPauseNorSpareAttemptsWhenNotAdaptive() {
        FlowControl flow = flow(EngineConfig.builder(), TopicIdentity.UNKNOWN);

        flow.callEnded(tooMany(Duration.ofSeconds(2)), System.nanoTime(), 1_000_000, 1);

        assertThat(flow.tryPass()).isZero();
        assertThat(flow.quotaRetryAfter(tooMany(Duration.ofSeconds(2)))).isNull();
        assertThat(flow.adapts()).isFalse();
    }

    @Test
    void shouldNotGrowTheAdaptiveLimitOnFastFailuresThatAreNotAnswers() {
        // Given an adaptive instance in slow start, all of its limit in use
        FlowControl flow = flow(EngineConfig.builder().adaptive(true), TopicIdentity.UNKNOWN);
        int before = flow.adaptiveLimit();
        long now = System.nanoTime();

        // When many calls fail at once without an answer (connection refused) or are refused as bad requests
        for (int i = 0; i < 50; i++) {
            flow.callEnded(
                    new CallOutcome.RetriableFailure(
                            CallOutcome.RetryCause.CONNECT, null, null, null, "connection refused"),
                    now + i,
                    1_000,
                    before);
        }

        // Then the limit did not grow: only answers (and overload signals) speak of the API's capacity
        assertThat(flow.adaptiveLimit()).isEqualTo(before);

        // while answers do make it grow
        for (int i = 0; i < 8; i++) {
            flow.callEnded(FakeChatApi.success("ok"), now + 100 + i, 200_000_000, before);
        }
        assertThat(flow.adaptiveLimit()).isGreaterThan(before);
    }

    @Test
    void shouldCountOnly429s503sAndTimeoutsAsDrops() {
        assertThat(FlowControl.isDrop(tooMany(null))).isTrue();
        assertThat(FlowControl.isDrop(new CallOutcome.RetriableFailure(503, null, null, "503")))
                .isTrue();
        assertThat(FlowControl.isDrop(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT, null, null, null, "no first byte")))
                .isTrue();
        assertThat(FlowControl.isDrop(new CallOutcome.RetriableFailure(500, null, null, "500")))
                .isFalse();
        assertThat(FlowControl.isDrop(
                        new CallOutcome.RetriableFailure(CallOutcome.RetryCause.RESET, null, null, null, "reset")))
                .isFalse();
    }
}
