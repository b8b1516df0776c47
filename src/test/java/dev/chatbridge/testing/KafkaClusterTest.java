package dev.chatbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KafkaClusterTest {

    private static final String LEGAL_TOPIC = "[a-zA-Z0-9._-]{1,249}";

    @Test
    void shouldMakeDistinctLegalTopicNamesWhenAskedRepeatedlyWithTheSamePrefix() {
        // Given the view of a test whose name has characters Kafka rejects
        KafkaCluster kafka = new KafkaCluster(null, "Some Test$Class-should do [1] things");

        // When names are asked for many times with one prefix
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            names.add(kafka.uniqueTopic("orders.v1"));
        }

        // Then they differ, carry the prefix and test name, and are legal topic names
        assertThat(names).hasSize(100).allSatisfy(name -> {
            assertThat(name).matches(LEGAL_TOPIC).doesNotContain(".", "_").startsWith("orders-v1-");
            assertThat(name).contains("some-test-class-should-do-1-things");
        });
    }

    @Test
    void shouldKeepNamesShortWhenTheTestNameIsVeryLong() {
        KafkaCluster kafka = new KafkaCluster(null, "x".repeat(500));

        assertThat(kafka.uniqueName("app")).matches(LEGAL_TOPIC).hasSizeLessThan(120);
    }
}
