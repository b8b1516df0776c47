package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.testing.LogCapture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

/**
 * Shared fixture of the ChatClient tests: loopback servers and clients closed after each test, and a check after every
 * test that the API key shows up in no log line (root logger, client at TRACE, Reactor Netty at DEBUG) and no outcome.
 */
@Timeout(30)
abstract class ChatClientTestSupport {

    static final String KEY = "sk-TEST-7f3a9c1e-DISTINCTIVE-KEY-0042";
    static final Duration WAIT = Duration.ofSeconds(15);
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    final ObjectMapper json = JsonMapper.builder().build();
    final List<CallOutcome> outcomes = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> resources = new ArrayList<>();
    LogCapture logs;

    @BeforeEach
    void captureLogs() {
        logs = LogCapture.start(Map.of("dev.chatbridge.api", Level.TRACE, "reactor.netty", Level.DEBUG));
    }

    @AfterEach
    void checkTheKeyNeverLeaked() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        logs.close();
        if (!outcomes.isEmpty()) {
            assertThat(logs.events())
                    .as("log lines of a test that called the API (capture works)")
                    .isNotEmpty();
        }
        assertThat(logs.linesContaining(KEY))
                .as("log lines or logged exceptions carrying the API key")
                .isEmpty();
        for (CallOutcome outcome : outcomes) {
            assertThat(outcome.toString()).as("outcome").doesNotContain(KEY);
        }
    }

    // --- helpers ---

    LoopbackServer server(LoopbackServer.Handler handler) {
        LoopbackServer server = LoopbackServer.start(handler);
        resources.add(server);
        return server;
    }

    ChatClient client(LoopbackServer server) {
        return client(server, b -> b);
    }

    ChatClient client(LoopbackServer server, UnaryOperator<ChatClientConfig.Builder> settings) {
        return client(server.baseUrl(), settings);
    }

    ChatClient client(String baseUrl, UnaryOperator<ChatClientConfig.Builder> settings) {
        ChatClientConfig config = settings.apply(ChatClientConfig.builder()
                        .baseUrl(baseUrl)
                        .apiKey(ApiKey.of(KEY))
                        .firstByteTimeout(Duration.ofSeconds(5))
                        .idleTimeout(Duration.ofSeconds(5))
                        .attemptTimeout(Duration.ofSeconds(10))
                        .maxInFlight(4))
                .build();
        assertThat(config.toString()).doesNotContain(KEY);
        ChatClient client = new ChatClient(config, Clock.fixed(NOW, ZoneOffset.UTC));
        resources.add(0, client);
        return client;
    }

    CallOutcome call(ChatClient client, ChatRequest request) {
        CallOutcome outcome = client.call(request).block(WAIT);
        assertThat(outcome).as("outcome within %s", WAIT).isNotNull();
        outcomes.add(outcome);
        return outcome;
    }

    static ChatRequest request(String account) {
        return ChatRequest.newBuilder()
                .setRequestId("req-1")
                .setThreadId("thread-3")
                .setAssistantId("asst-9")
                .setAccount(account)
                .setMessages(List.of(
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.System)
                                .setText("You are terse.")
                                .build(),
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.User)
                                .setText("Hi \u00e9\uD83D\uDE00")
                                .build(),
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.Assistant)
                                .setText(null)
                                .build()))
                .build();
    }
}
