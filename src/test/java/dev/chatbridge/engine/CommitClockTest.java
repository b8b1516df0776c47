package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CommitClockTest {

    private final CommitClock clock = new CommitClock();

    private static MockProducer<byte[], byte[]> mock() {
        return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Test
    void shouldCountATransactionalProducersCommitsOnTheCommittingThreadOnly() throws Exception {
        // Given a transactional producer wrapped by the clock, and a listener of this thread
        MockProducer<byte[], byte[]> mock = mock();
        Producer<byte[], byte[]> producer = clock.observe(mock, true);
        AtomicInteger heard = new AtomicInteger();
        clock.ofCurrentThread().listen(heard::incrementAndGet);
        producer.initTransactions();

        // When it sends, flushes and commits a transaction
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("t", new byte[] {1}));
        producer.flush();
        assertThat(clock.ofCurrentThread().count())
                .as("a flush is no commit under exactly-once")
                .isZero();
        producer.commitTransaction();

        // Then this thread saw one commit, its listener ran, and another thread saw none
        assertThat(clock.ofCurrentThread().count()).isEqualTo(1);
        assertThat(heard).hasValue(1);
        assertThat(mock.transactionCommitted()).isTrue();
        long[] other = new long[1];
        Thread t = new Thread(() -> other[0] = clock.ofCurrentThread().count());
        t.start();
        t.join();
        assertThat(other[0]).isZero();
    }

    @Test
    void shouldCountAFlushOfANonTransactionalProducer() {
        // Given an at-least-once producer
        Producer<byte[], byte[]> producer = clock.observe(mock(), false);

        // When it flushes twice
        producer.send(new ProducerRecord<>("t", new byte[] {1}));
        producer.flush();
        producer.flush();

        // Then two commits were seen
        assertThat(clock.ofCurrentThread().count()).isEqualTo(2);
    }

    @Test
    void shouldNotCountACommitThatFailedAndPassItsExceptionOnUnwrapped() {
        // Given a transactional producer whose commit fails
        MockProducer<byte[], byte[]> mock = mock();
        Producer<byte[], byte[]> producer = clock.observe(mock, true);
        producer.initTransactions();
        producer.beginTransaction();
        mock.commitTransactionException = new KafkaException("fenced");

        // When it commits, then the caller gets Kafka's own exception and nothing was counted
        assertThatThrownBy(producer::commitTransaction)
                .isExactlyInstanceOf(KafkaException.class)
                .hasMessage("fenced");
        assertThat(clock.ofCurrentThread().count()).isZero();
    }

    @Test
    void shouldKeepCountingWhenAListenerFails() {
        // Given a listener that throws
        clock.ofCurrentThread().listen(() -> {
            throw new IllegalStateException("boom");
        });

        // When a commit is reported, then it is counted anyway
        clock.committed();
        assertThat(clock.ofCurrentThread().count()).isEqualTo(1);
    }
}
