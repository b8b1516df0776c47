package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** ChatClient over loopback: the time to the first answer byte it reports for metrics. */
class ChatClientTimingsTest extends ChatClientTestSupport {

    private final List<Duration> firstBytes = new CopyOnWriteArrayList<>();

    @Test
    void shouldReportTheTimeToTheFirstEventOnceWhenTheAnswerStreams() {
        // Given an answer of several events
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(20), AnswerFixtures.sseEvents()));

        // When it is called
        CallOutcome outcome = call(timedClient(server), request(null));

        // Then one time to first event is reported, shorter than the whole call
        assertThat(outcome).isInstanceOf(CallOutcome.Success.class);
        assertThat(firstBytes)
                .as("times to first event")
                .hasSize(1)
                .allSatisfy(elapsed -> assertThat(elapsed).isPositive().isLessThan(WAIT));
    }

    @Test
    void shouldReportNothingWhenTheApiAnswersWithAnError() {
        // Given a 503 with a body
        LoopbackServer server = server(LoopbackServer.respond(503, "text/plain", "busy, try later"));

        // When it is called
        CallOutcome outcome = call(timedClient(server), request(null));

        // Then no time to first event: there was no answer
        assertThat(outcome).isInstanceOf(CallOutcome.RetriableFailure.class);
        assertThat(firstBytes).as("times to first event").isEmpty();
    }

    private ChatClient timedClient(LoopbackServer server) {
        ChatClientConfig config = ChatClientConfig.builder()
                .baseUrl(server.baseUrl())
                .apiKey(ApiKey.of(KEY))
                .firstByteTimeout(Duration.ofSeconds(5))
                .idleTimeout(Duration.ofSeconds(5))
                .attemptTimeout(Duration.ofSeconds(10))
                .build();
        ChatClient client = new ChatClient(config, Clock.fixed(NOW, ZoneOffset.UTC), firstBytes::add);
        resources.add(0, client);
        return client;
    }
}
