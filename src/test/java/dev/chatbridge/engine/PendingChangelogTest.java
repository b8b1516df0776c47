package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import org.junit.jupiter.api.Test;

class PendingChangelogTest {

    private static byte[] key(String conversation, long sequence) {
        return PendingKey.of(conversation, sequence).get();
    }

    @Test
    void shouldNameTheChangelogAndTheRepartitionTopicLikeKafkaStreams() {
        assertThat(PendingChangelog.topic("chat-bridge")).isEqualTo("chat-bridge-pending-requests-changelog");
        assertThat(PendingChangelog.internalTopics("app"))
                .containsExactlyInAnyOrder("app-pending-requests-changelog", "app-by-thread-repartition");
    }

    @Test
    void shouldCountLiveEntriesPerPartitionWithTheLatestRecordPerKeyWinning() {
        PendingChangelog.Tally tally = new PendingChangelog.Tally();
        tally.record(0, key("t1", 0), false);
        tally.record(0, key("t1", 1), false);
        tally.record(0, key("t1", 0), false); // an update of the same entry (a retry's attempt count)
        tally.record(2, key("t2", 7), false);

        assertThat(tally.total()).isEqualTo(3);
        assertThat(tally.perPartition()).containsExactly(entry(0, 2), entry(2, 1));
    }

    @Test
    void shouldDropEntriesWhoseLatestRecordIsATombstoneAndCountThemAgainWhenWrittenAgain() {
        PendingChangelog.Tally tally = new PendingChangelog.Tally();
        tally.record(1, key("t1", 0), false);
        tally.record(1, key("t1", 1), false);
        tally.record(1, key("t1", 0), true); // answered
        tally.record(1, key("t9", 4), true); // a tombstone whose put was compacted away
        tally.record(3, key("t3", 5), false);
        tally.record(3, key("t3", 5), true);
        tally.record(3, key("t3", 5), false); // accepted again (replay after the topic was recreated)

        assertThat(tally.total()).isEqualTo(2);
        assertThat(tally.perPartition()).containsExactly(entry(1, 1), entry(3, 1));
    }

    @Test
    void shouldNotCountTheHighWaterMarkNorShowPartitionsLeftEmpty() {
        PendingChangelog.Tally tally = new PendingChangelog.Tally();
        tally.record(0, HighWaterMark.KEY.get(), false);
        tally.record(1, HighWaterMark.KEY.get(), false);
        tally.record(1, key("t1", 3), false);
        tally.record(1, key("t1", 3), true);
        tally.record(1, HighWaterMark.KEY.get(), false);

        assertThat(tally.total()).isZero();
        assertThat(tally.perPartition()).isEmpty();
        assertThat(PendingChangelog.isHighWaterMark(HighWaterMark.KEY.get())).isTrue();
        assertThat(PendingChangelog.isHighWaterMark(key("high-water-mark", 0))).isFalse();
    }

    @Test
    void shouldKeepItsOwnCopyOfEachKey() {
        PendingChangelog.Tally tally = new PendingChangelog.Tally();
        byte[] reused = key("t1", 0);
        tally.record(0, reused, false);
        reused[reused.length - 1] = 9; // a caller reusing its buffer must not change what was counted
        tally.record(0, key("t1", 0), true);

        assertThat(tally.total()).isZero();
    }
}
