package dev.chatbridge.devtools.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.TestClients;
import dev.chatbridge.testing.WithKafka;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/** Produces and consumes on the test run's broker (embedded here, where there is no Docker). */
@WithKafka
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedKafkaBrokerIT {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void shouldShowOnlyCommittedTransactionsWhenConsumerReadsCommitted(KafkaCluster kafka) throws Exception {
        // Given a topic and a transactional producer
        String topic = kafka.createUniqueTopic("tx", 1);
        try (KafkaProducer<String, String> producer =
                TestClients.transactionalProducer(kafka, kafka.uniqueName("tx-id"))) {
            producer.initTransactions();

            // When one transaction commits, one aborts and a last one commits
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-1"));
            producer.send(new ProducerRecord<>(topic, "k", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted-1"));
            producer.send(new ProducerRecord<>(topic, "k", "aborted-2"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-3"));
            producer.commitTransaction();
        }

        // Then a read_committed consumer sees the committed records in order, and no aborted one
        List<String> values = values(TestClients.readCommitted(kafka, topic, read -> read.size() >= 3, READ_TIMEOUT));
        assertThat(values)
                .as("values a read_committed consumer sees after commit, abort, commit")
                .containsExactly("committed-1", "committed-2", "committed-3");
    }

    @Test
    void shouldDeliverPlainRecordsToAConsumer(KafkaCluster kafka) throws Exception {
        // Given a topic with two partitions
        String topic = kafka.createUniqueTopic("plain", 2);

        // When records are produced without a transaction
        try (KafkaProducer<String, String> producer = TestClients.producer(kafka)) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i))
                        .get(30, TimeUnit.SECONDS);
            }
        }

        // Then a consumer reads all of them
        List<String> values = values(TestClients.readCommitted(kafka, topic, read -> read.size() >= 10, READ_TIMEOUT));
        assertThat(values)
                .containsExactlyInAnyOrder(
                        "value-0", "value-1", "value-2", "value-3", "value-4", "value-5", "value-6", "value-7",
                        "value-8", "value-9");
    }

    @Test
    void shouldGiveThisTestATopicNoOtherTestWrites(KafkaCluster kafka, TestInfo test) throws Exception {
        assertOwnTopic(kafka, test);
    }

    @Test
    void shouldGiveThatTestATopicNoOtherTestWrites(KafkaCluster kafka, TestInfo test) throws Exception {
        assertOwnTopic(kafka, test);
    }

    /** Both tests ask for the same prefix; a clash would show the other test's record. */
    private static void assertOwnTopic(KafkaCluster kafka, TestInfo test) throws Exception {
        String method = test.getTestMethod().orElseThrow().getName();
        String topic = kafka.createUniqueTopic("shared-prefix", 1);
        assertThat(topic).startsWith("shared-prefix-").containsIgnoringCase(method);

        try (KafkaProducer<String, String> producer = TestClients.producer(kafka)) {
            producer.send(new ProducerRecord<>(topic, "k", "from-" + method)).get(30, TimeUnit.SECONDS);
        }

        List<String> values = values(TestClients.readCommitted(kafka, topic, read -> !read.isEmpty(), READ_TIMEOUT));
        assertThat(values).as("records in the topic of " + method).containsExactly("from-" + method);
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }
}
