package dev.chatbridge.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.InvalidConfigurationException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The production {@code logback.xml} in a private logger context, writing to a captured {@code System.err}: JSON lines
 * when asked, text otherwise.
 */
@Timeout(30)
@ResourceLock("System.err")
class LogFormatTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @AfterEach
    void clearProperty() {
        System.clearProperty(LogFormat.PROPERTY);
        MDC.clear();
    }

    @Test
    void shouldWriteOneValidJsonObjectPerLineWithMdcFieldsWhenJsonIsChosen() throws Exception {
        // Given the JSON format chosen by the system property
        System.setProperty(LogFormat.PROPERTY, "json");

        // When two lines are logged, one inside a request's MDC
        List<String> lines = logTwoLines();

        // Then each line is a JSON object with level, logger, formatted message and the MDC fields
        assertThat(lines).hasSize(2);
        JsonNode first = mapper.readTree(lines.get(0));
        JsonNode second = mapper.readTree(lines.get(1));
        assertThat(first.path("level").asText()).isEqualTo("INFO");
        assertThat(first.path("loggerName").asText()).isEqualTo("dev.chatbridge.test");
        assertThat(first.path("formattedMessage").asText()).isEqualTo("attempt 2 of request r-1 failed");
        assertThat(first.path("mdc").path("requestId").asText()).isEqualTo("r-1");
        assertThat(first.path("mdc").path("threadId").asText()).isEqualTo("t-9");
        assertThat(second.path("formattedMessage").asText()).isEqualTo("outside any request");
        assertThat(second.path("mdc").path("requestId").isMissingNode())
                .as("MDC cleared after the request")
                .isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"human", "json", "JSON", " Human ", "text", "fancy"})
    void shouldAcceptExactlyTheValuesThatTheSettingAccepts(String value) {
        // Given a value of CHAT_BRIDGE_LOG_FORMAT, as logging and as chat.log.format
        boolean settingAccepts;
        try {
            ChatBridgeConfig.parse(Map.of(ChatBridgeConfig.LOG_FORMAT, value));
            settingAccepts = true;
        } catch (InvalidConfigurationException e) {
            settingAccepts = false;
        }
        LogFormat definer = new LogFormat();
        definer.setContext(new LoggerContext());
        System.setProperty(LogFormat.PROPERTY, value);

        // When logging reads it
        String appender = definer.getPropertyValue();
        boolean loggingAccepts =
                definer.getStatusManager().getCopyOfStatusList().isEmpty();

        // Then both accept it or both refuse it (logging then falls back to human)
        assertThat(loggingAccepts).as("logging accepts '%s'", value).isEqualTo(settingAccepts);
        assertThat(appender).isIn("human", "json");
        if (!settingAccepts) {
            assertThat(appender).isEqualTo("human");
        }
    }

    @Test
    void shouldWriteHumanReadableTextByDefault() throws Exception {
        // Given no format chosen (unknown values fall back to human too)
        System.setProperty(LogFormat.PROPERTY, "fancy");

        // When two lines are logged
        List<String> lines = logTwoLines();

        // Then they are text lines with the MDC appended where there is one
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0))
                .contains("INFO")
                .contains("dev.chatbridge.test - attempt 2 of request r-1 failed")
                .contains("requestId=r-1")
                .doesNotStartWith("{");
        assertThat(lines.get(1)).endsWith("dev.chatbridge.test - outside any request");
    }

    private static List<String> logTwoLines() throws JoranException {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter());
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
            Logger log = context.getLogger("dev.chatbridge.test");
            MDC.put("requestId", "r-1");
            MDC.put("threadId", "t-9");
            log.info("attempt {} of request {} failed", 2, "r-1");
            MDC.clear();
            log.info("outside any request");
        } finally {
            context.stop();
            System.setErr(originalErr);
        }
        return captured.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(line -> !line.isBlank())
                .toList();
    }
}
