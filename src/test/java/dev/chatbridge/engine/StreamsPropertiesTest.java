package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class StreamsPropertiesTest {

    @Test
    void shouldGiveDefaultsThatAPropertiesFileCanHoldAndGiveBack() throws Exception {
        // Given
        Properties defaults = StreamsProperties.defaults("app", "127.0.0.1:9092", true);

        // When written as a properties file (as run --config and the child JVMs of the tests read them) and read again
        StringWriter file = new StringWriter();
        defaults.store(file, null);
        Properties read = new Properties();
        read.load(new StringReader(file.toString()));

        // Then
        assertThat(read).isEqualTo(defaults);
        assertThat(read.getProperty("max.task.idle.ms")).isEqualTo("-1");
    }
}
