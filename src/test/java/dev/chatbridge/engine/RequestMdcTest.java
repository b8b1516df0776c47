package dev.chatbridge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.MDC;

@Timeout(10)
class RequestMdcTest {

    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void shouldPutTheRequestIdsInTheMdcOnlyWhileTheLinesRun() {
        // Given an MDC that already holds other ids
        MDC.put(RequestMdc.REQUEST_ID, "outer-request");
        Map<String, String> seen = new HashMap<>();

        // When lines run for a request
        RequestMdc.run(
                EngineDriver.request("r-7", "t-3", "secret prompt"), () -> seen.putAll(MDC.getCopyOfContextMap()));

        // Then they saw the request's ids, no text, and the MDC is restored afterwards
        assertThat(seen).containsEntry(RequestMdc.REQUEST_ID, "r-7").containsEntry(RequestMdc.THREAD_ID, "t-3");
        assertThat(seen.values()).noneMatch(value -> value.contains("secret prompt"));
        assertThat(MDC.get(RequestMdc.REQUEST_ID)).isEqualTo("outer-request");
        assertThat(MDC.get(RequestMdc.THREAD_ID)).isNull();
    }

    @Test
    void shouldRestoreTheMdcWhenTheLinesThrow() {
        assertThatThrownBy(() -> RequestMdc.run(EngineDriver.request("r-8", null, "x"), () -> {
                    throw new IllegalStateException("boom");
                }))
                .isInstanceOf(IllegalStateException.class);

        assertThat(MDC.get(RequestMdc.REQUEST_ID)).isNull();
    }

    @Test
    void shouldEscapeControlCharactersAndCutLongIdsSoARecordCannotForgeLogLines() {
        Map<String, String> seen = new HashMap<>();
        String forged = "r-9\n12:00:00.000 ERROR forged line \u001b[31m";

        RequestMdc.run(
                EngineDriver.request(forged, "t".repeat(10_000), "x"), () -> seen.putAll(MDC.getCopyOfContextMap()));

        assertThat(seen.get(RequestMdc.REQUEST_ID))
                .isEqualTo("r-9\\u000A12:00:00.000 ERROR forged line \\u001B[31m")
                .doesNotContain("\n", "\u001b");
        assertThat(seen.get(RequestMdc.THREAD_ID)).startsWith("t".repeat(256)).endsWith("…(9744 more characters)");
    }
}
