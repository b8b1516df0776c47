package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.events.ProblemDetails;
import java.io.IOException;
import java.net.ServerSocket;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * The client against real HTTP over loopback: one test per row of the failure taxonomy, plus
 * headers, time limits and cancellation. Every test also checks that the API key shows up in no
 * log line and no outcome.
 */
@Timeout(30)
class ChatClientTest {

    static final String KEY = "sk-TEST-7f3a9c1e-DISTINCTIVE-KEY-0042";
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private final ObjectMapper json = JsonMapper.builder().build();
    private final List<CallOutcome> outcomes = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Level apiLevel;
    private Level nettyLevel;

    @BeforeEach
    void captureLogs() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        logs.setContext(context);
        logs.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
        Logger api = context.getLogger("dev.chatbridge.api");
        Logger netty = context.getLogger("reactor.netty");
        apiLevel = api.getLevel();
        nettyLevel = netty.getLevel();
        api.setLevel(Level.TRACE);
        netty.setLevel(Level.DEBUG);
    }

    @AfterEach
    void checkTheKeyNeverLeaked() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
        context.getLogger("dev.chatbridge.api").setLevel(apiLevel);
        context.getLogger("reactor.netty").setLevel(nettyLevel);
        if (!outcomes.isEmpty()) {
            assertThat(logs.list).as("log lines of a test that called the API (capture works)").isNotEmpty();
        }
        assertThat(keyLeaks()).as("log lines or logged exceptions carrying the API key").isEmpty();
        for (CallOutcome outcome : outcomes) {
            assertThat(outcome.toString()).as("outcome").doesNotContain(KEY);
        }
    }

    /** Log lines (message or exception messages) that contain the key. */
    private List<String> keyLeaks() {
        List<String> leaks = new ArrayList<>();
        for (ILoggingEvent event : logs.list) {
            if (event.getFormattedMessage().contains(KEY)) {
                leaks.add(event.getLoggerName() + ": " + event.getFormattedMessage());
            }
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                if (String.valueOf(t.getMessage()).contains(KEY)) {
                    leaks.add(event.getLoggerName() + ": exception " + t.getClassName());
                }
            }
        }
        return leaks;
    }

    @Test
    void shouldDetectTheKeyInALogLineSoThatTheLeakCheckCanFail() {
        // Given
        org.slf4j.Logger logger = LoggerFactory.getLogger("dev.chatbridge.api.LeakProbe");

        // When
        logger.warn("probe {}", KEY);
        logger.warn("probe exception", new IllegalStateException("wrapped " + KEY));

        // Then
        assertThat(keyLeaks()).hasSize(2);
        logs.list.clear();
    }

    // --- 200 ---

    @Test
    void shouldAnswerWhenApiSendsOneJsonObject() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json; charset=utf-8",
                "{\"text\":\"Hello\",\"requestId\":\"api-1\",\"sources\":{\"sourcesIds\":[\"s\"]}}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.Success(
                new ChatAnswer("Hello", List.of(), List.of(), List.of("s"), List.of(), "api-1")));
    }

    @Test
    void shouldAggregateEveryResourceKindWhenApiStreamsEvents() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5), AnswerFixtures.sseEvents()));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOf(CallOutcome.Success.class);
        ChatAnswer answer = ((CallOutcome.Success) outcome).answer();
        assertThat(answer.text()).isEqualTo(AnswerFixtures.TEXT);
        assertThat(answer.toolCalls()).isEqualTo(AnswerFixtures.TOOL_CALLS);
        assertThat(answer.references()).isEqualTo(AnswerFixtures.REFERENCES);
        assertThat(answer.sourcesIds()).isEqualTo(AnswerFixtures.SOURCES_IDS);
        assertThat(answer.toolEvents()).isEqualTo(AnswerFixtures.TOOL_EVENTS);
        assertThat(answer.apiRequestId()).isEqualTo(AnswerFixtures.API_REQUEST_ID);
    }

    @Test
    void shouldSendTheDocumentedRequestWithAccountHeaderWhenAccountIsSet() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{\"text\":\"ok\"}"));

        // When
        call(client(server), request("alice@example.com"));

        // Then
        LoopbackServer.Received received = server.takeRequest();
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.uri()).isEqualTo("/chats/v2");
        assertThat(received.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(received.headers().get("unleash-account")).isEqualTo("alice@example.com");
        assertThat(received.headers().get("Accept")).isEqualTo("text/event-stream, application/json");
        assertThat(received.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(received.headers().get("X-Request-Id")).isEqualTo("req-1");
        assertThat(received.headers().get("User-Agent")).isEqualTo("chat-bridge/" + dev.chatbridge.Version.get());
        assertThat(json.readTree(received.body())).isEqualTo(json.readTree("""
                {"messages":[{"text":"You are terse.","role":"System"},{"text":"Hi \u00e9\uD83D\uDE00","role":"User"},\
                {"text":null,"role":"Assistant"}],"assistantId":"asst-9","threadId":"thread-3"}"""));
    }

    @Test
    void shouldNotSendTheAccountHeaderWhenAccountIsNull() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{\"text\":\"ok\"}"));

        // When
        call(client(server), request(null));

        // Then
        LoopbackServer.Received received = server.takeRequest();
        assertThat(received.headers().contains("unleash-account")).isFalse();
        assertThat(received.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
    }

    @Test
    void shouldFailPermanentlyWhenTwoHundredHasAnotherContentType() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "text/html", "<html>login</html>"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, 200, null,
                "<html>login</html>", "the API answered 200 with content type 'text/html', neither application/json nor text/event-stream"));
    }

    @Test
    void shouldFailPermanentlyWhenJsonAnswerDoesNotParse() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{\"text\": 42}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.excerpt()).isEqualTo("{\"text\": 42}");
            assertThat(failure.message()).contains("'text' should be a string");
        });
    }

    @Test
    void shouldFailPermanentlyWhenAnSseEventIsMalformedJson() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5),
                "data: {\"text\":\"a\"}\n\n", "data: {\"text\":\"b\",\n\n", "data: {\"text\":\"c\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.UNPARSEABLE_RESPONSE);
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.excerpt()).isEqualTo("{\"text\":\"b\",");
            assertThat(failure.message()).startsWith("event 2 of the event stream is not a /chats/v2 answer");
        });
    }

    @Test
    void shouldFailPermanentlyWhenAnSseEventIsLargerThanTheBound() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5),
                "data: {\"text\":\"" + "x".repeat(300) + "\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.maxEventBytes(256)), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, 200, null,
                null, "SSE line longer than 256 bytes (maxEventBytes)"));
    }

    @Test
    void shouldFailPermanentlyWhenJsonAnswerIsLargerThanTheBound() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json",
                "{\"text\":\"" + "x".repeat(5000) + "\"}"));

        // When
        CallOutcome outcome = call(client(server, b -> b.maxEventBytes(1024).maxAnswerBytes(4096)), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
            assertThat(failure.message()).isEqualTo("the JSON answer is larger than maxAnswerBytes 4096");
            assertThat(failure.excerpt()).hasSize(2048);
        });
    }

    // --- 400 ---

    @Test
    void shouldKeepEveryProblemMemberWhenApiAnswersBadRequest() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(400, "application/problem+json", """
                {"type":"https://api.example/problems/validation","title":"One or more validation errors occurred.",\
                "status":400,"detail":"messages is empty","instance":"/chats/v2","errors":{"messages":["The messages \
                field is required.","Min 1 item."],"threadId":["Too long."]},"traceId":"00-abc-01","extra":{"a":[1,2]}}"""));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.BAD_REQUEST);
            assertThat(failure.httpStatus()).isEqualTo(400);
            assertThat(failure.excerpt()).isNull();
            assertThat(failure.message()).isEqualTo(
                    "the API rejected the request as bad (HTTP 400): One or more validation errors occurred. - messages is empty");
            ProblemDetails problem = failure.problem();
            assertThat(problem.getType()).isEqualTo("https://api.example/problems/validation");
            assertThat(problem.getTitle()).isEqualTo("One or more validation errors occurred.");
            assertThat(problem.getStatus()).isEqualTo(400);
            assertThat(problem.getDetail()).isEqualTo("messages is empty");
            assertThat(problem.getInstance()).isEqualTo("/chats/v2");
            assertThat(problem.getErrors()).isEqualTo(Map.of(
                    "messages", List.of("The messages field is required.", "Min 1 item."),
                    "threadId", List.of("Too long.")));
        });
        String extensions = ((CallOutcome.PermanentFailure) outcome).problem().getExtensionsJson();
        assertThat(json.readTree(extensions))
                .isEqualTo(json.readTree("{\"traceId\":\"00-abc-01\",\"extra\":{\"a\":[1,2]}}"));
    }

    @Test
    void shouldKeepAnExcerptWhenBadRequestIsNotJson() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(400, "text/plain", "Bad Request: messages missing"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.PermanentFailure(DeadLetterReason.BAD_REQUEST, 400, null,
                "Bad Request: messages missing", "the API rejected the request as bad (HTTP 400) without problem details"));
    }

    // --- operator problems ---

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void shouldBlameTheKeyWhenApiRefusesIt(int status) {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(status, "application/json", "{\"error\":\"nope\"}"));

        // When
        CallOutcome outcome = call(client(server), request("bob@example.com"));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.OperatorFailure.class, failure -> {
            assertThat(failure.httpStatus()).isEqualTo(status);
            assertThat(failure.message()).contains("HTTP " + status, "chat.api.key", "revoked", "impersonate");
        });
    }

    @Test
    void shouldBlameTheBaseUrlWhenApiAnswersNotFound() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(404, "text/plain", "no such route"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.OperatorFailure(404, "the API answered 404 for "
                + server.baseUrl() + "/chats/v2: the endpoint is missing there, the base URL is probably wrong"
                + " (check chat.api.base.url)"));
    }

    // --- other statuses ---

    @ParameterizedTest
    @ValueSource(ints = {405, 409, 413, 415, 422, 418})
    void shouldRejectPermanentlyWhenApiAnswersAnotherClientError(int status) {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(status, "text/plain", "status " + status));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, failure -> {
            assertThat(failure.reason()).isEqualTo(DeadLetterReason.REJECTED);
            assertThat(failure.httpStatus()).isEqualTo(status);
            assertThat(failure.problem()).isNull();
            assertThat(failure.excerpt()).isEqualTo("status " + status);
            assertThat(failure.message()).startsWith("the API rejected the request with HTTP " + status);
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 425, 429, 500, 502, 503, 504, 599})
    void shouldRetryWhenApiAnswersATransientStatus(int status) {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(status, "text/plain", "try later"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isEqualTo(status);
            assertThat(failure.retryAfter()).isNull();
            assertThat(failure.excerpt()).isEqualTo("try later");
            assertThat(failure.message()).startsWith("the API answered HTTP " + status);
        });
    }

    @Test
    void shouldReadRetryAfterInSeconds() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(429, "text/plain", "slow down", Map.of("Retry-After", "7")));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class,
                failure -> assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(7)));
    }

    @Test
    void shouldReadRetryAfterAsAnHttpDateRelativeToTheClock() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(503, "text/plain", "maintenance",
                Map.of("Retry-After", "Sun, 01 Mar 2026 12:02:00 GMT")));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class,
                failure -> assertThat(failure.retryAfter()).isEqualTo(Duration.ofMinutes(2)));
    }

    @Test
    void shouldIgnoreAnInvalidRetryAfter() {
        // Given
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

        // When / Then
        assertThat(ResponseReader.parseRetryAfter("soon", clock)).isNull();
        assertThat(ResponseReader.parseRetryAfter("-5", clock)).isNull();
        assertThat(ResponseReader.parseRetryAfter(" 12 ", clock)).isEqualTo(Duration.ofSeconds(12));
        assertThat(ResponseReader.parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", clock)).isEqualTo(Duration.ZERO);
        assertThat(ResponseReader.parseRetryAfter(null, clock)).isNull();
    }

    // --- transport failures and time limits ---

    @Test
    void shouldRetryWhenNothingListensOnThePort() throws IOException {
        // Given
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        ChatClient client = client("http://127.0.0.1:" + port, b -> b);

        // When
        CallOutcome outcome = call(client, request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isNull();
            assertThat(failure.message()).startsWith("cannot connect to http://127.0.0.1:" + port);
        });
    }

    @Test
    void shouldRetryWhenTheConnectionIsResetMidAnswer() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenReset("application/json", "{\"text\":\"par"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isNull();
            assertThat(failure.message()).containsAnyOf("connection closed before", "connection failed");
        });
    }

    @Test
    void shouldTimeOutAndAbortWhenNoByteComesInTime() {
        // Given
        LoopbackServer server = server(LoopbackServer.stall());

        // When
        CallOutcome outcome = call(client(server, b -> b.firstByteTimeout(Duration.ofMillis(300))), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.RetriableFailure(null, null, null,
                "timed out: no byte of the answer within firstByteTimeout PT0.3S"));
        await().atMost(WAIT).until(() -> server.closedConnections() == 1);
    }

    @Test
    void shouldTimeOutWhenTheStreamStallsBetweenEvents() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenStall(LoopbackServer.SSE, "data: {\"text\":\"a\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.idleTimeout(Duration.ofMillis(300))), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.RetriableFailure(null, null, null,
                "timed out: the answer stalled: no byte for idleTimeout PT0.3S"));
    }

    @Test
    void shouldTimeOutWhenTheAttemptPassesItsDeadlineDespiteKeepAlives() {
        // Given
        String[] keepAlives = new String[100];
        java.util.Arrays.fill(keepAlives, ": keep-alive\n\n");
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(50), keepAlives));

        // When
        CallOutcome outcome = call(client(server, b -> b.firstByteTimeout(Duration.ofMillis(400))
                .attemptTimeout(Duration.ofMillis(800)).connectTimeout(Duration.ofMillis(400))), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.RetriableFailure(null, null, null,
                "timed out: the attempt took longer than attemptTimeout PT0.8S"));
    }

    @Test
    void shouldRetryWhenTheStreamIsCutAfterAnEventAndBrokenStreamsAreRetried() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenCut(LoopbackServer.SSE, "data: {\"text\":\"a\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.retryBrokenStreams(true)), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.RetriableFailure(200, null, null,
                "the event stream broke (PrematureCloseException) after 1 complete events; the partial answer is discarded"));
    }

    @Test
    void shouldFailPermanentlyWhenTheStreamIsCutAfterAnEventAndBrokenStreamsAreNotRetried() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenCut(LoopbackServer.SSE, "data: {\"text\":\"a\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.retryBrokenStreams(false)), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, 200, null,
                null, "the event stream broke (PrematureCloseException) after 1 complete events (retryBrokenStreams is false)"));
    }

    @Test
    void shouldTreatAStreamEndingInTheMiddleOfAnEventAsBroken() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5),
                "data: {\"text\":\"a\"}\n\n", "data: {\"text\":\"b\"}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.RetriableFailure(200, null, null,
                "the event stream ended in the middle of an event after 1 complete events; the partial answer is discarded"));
    }

    @Test
    void shouldFailPermanentlyWhenTheStreamHasNoEvent() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5), ": only a comment\n\n"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.PermanentFailure(DeadLetterReason.UNPARSEABLE_RESPONSE, 200, null,
                null, "the event stream ended without any event"));
    }

    @Test
    void shouldAbortTheExchangeWhenTheSubscriptionIsCancelled() throws Exception {
        // Given
        LoopbackServer server = server(LoopbackServer.stall());
        ChatClient client = client(server);
        Disposable subscription = client.call(request(null)).subscribe(outcomes::add);
        server.takeRequest();

        // When
        subscription.dispose();

        // Then
        await().atMost(WAIT).until(() -> server.closedConnections() == 1);
        assertThat(outcomes).isEmpty();
    }

    @Test
    void shouldBoundConnectionsAndWaitingCallsByThePoolSettings() throws Exception {
        // Given: one connection, one waiting call allowed
        LoopbackServer server = server(LoopbackServer.stall());
        ChatClient client = client(server, b -> b.maxInFlight(1).maxPendingAcquires(1)
                .pendingAcquireTimeout(Duration.ofMillis(500)).firstByteTimeout(Duration.ofSeconds(5)));
        Disposable first = client.call(request(null)).subscribe(outcomes::add);
        resources.add(first::dispose);
        server.takeRequest();
        Disposable second = client.call(request(null)).subscribe(outcomes::add);
        resources.add(second::dispose);

        // When
        CallOutcome third = call(client, request(null));

        // Then
        assertThat(third).isEqualTo(new CallOutcome.RetriableFailure(null, null, null,
                "no pooled connection free and maxPendingAcquires 1 calls already waiting for one (maxInFlight 1)"));
        await().atMost(WAIT).until(() -> outcomes.size() == 2);
        assertThat(outcomes.get(1)).as("the waiting call").isEqualTo(new CallOutcome.RetriableFailure(null, null, null,
                "timed out: no pooled connection free within pendingAcquireTimeout PT0.5S"));
        assertThat(server.requestsReceived()).isZero();
    }

    @Test
    void shouldRedactTheKeyWhenTheServerEchoesIt() {
        // Given
        LoopbackServer server = server((request, response) -> response.status(500)
                .sendString(reactor.core.publisher.Mono.just("echo: " + request.requestHeaders().get("Authorization"))));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.RetriableFailure(500, null, "echo: Bearer [redacted]",
                "the API answered HTTP 500 Internal Server Error, a transient failure"));
    }

    @Test
    void shouldRefuseAnAccountThatCannotBeAHeaderWithoutCalling() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{}"));

        // When
        CallOutcome outcome = call(client(server), request("eve@example.com\r\nX-Evil: 1"));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class,
                failure -> assertThat(failure.reason()).isEqualTo(DeadLetterReason.INVALID_REQUEST));
        assertThat(server.requestsReceived()).isZero();
    }

    // --- TLS ---

    @Test
    void shouldAnswerOverTlsWhenTheCustomTruststoreTrustsTheServer() throws Exception {
        // Given
        LoopbackServer server = tlsServer("/tls/loopback-server.p12");

        // When
        ChatClientConfig.TrustStore trustStore = trustStore();
        CallOutcome outcome = call(client(server, b -> b.trustStore(trustStore)), request(null));

        // Then
        assertThat(outcome).isEqualTo(new CallOutcome.Success(
                new ChatAnswer("secure", List.of(), List.of(), List.of(), List.of(), null)));
    }

    @Test
    void shouldRefuseTheServerWhenTheJdkTruststoreDoesNotTrustIt() throws Exception {
        // Given
        LoopbackServer server = tlsServer("/tls/loopback-server.p12");

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, failure -> {
            assertThat(failure.httpStatus()).isNull();
            assertThat(failure.message()).startsWith("TLS with " + server.baseUrl() + " failed").contains("PKIX");
        });
        assertThat(server.requestsReceived()).isZero();
    }

    @Test
    void shouldRefuseATrustedCertificateIssuedForAnotherHost() throws Exception {
        // Given: the truststore trusts the certificate, but it names wrong.example, not 127.0.0.1
        LoopbackServer server = tlsServer("/tls/wronghost-server.p12");

        // When
        ChatClientConfig.TrustStore trustStore = trustStore();
        CallOutcome outcome = call(client(server, b -> b.trustStore(trustStore)), request(null));

        // Then
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class,
                failure -> assertThat(failure.message()).startsWith("TLS with " + server.baseUrl() + " failed")
                        .containsIgnoringCase("subject alternative"));
        assertThat(server.requestsReceived()).isZero();
    }

    private LoopbackServer tlsServer(String keyStore) throws Exception {
        LoopbackServer server = LoopbackServer.startTls(
                LoopbackServer.respond(200, "application/json", "{\"text\":\"secure\"}"), keyStore);
        resources.add(server);
        return server;
    }

    private static ChatClientConfig.TrustStore trustStore() throws Exception {
        return new ChatClientConfig.TrustStore(
                java.nio.file.Path.of(ChatClientTest.class.getResource("/tls/trust.p12").toURI()), "changeit", "PKCS12");
    }

    // --- helpers ---

    private LoopbackServer server(LoopbackServer.Handler handler) {
        LoopbackServer server = LoopbackServer.start(handler);
        resources.add(server);
        return server;
    }

    private ChatClient client(LoopbackServer server) {
        return client(server, b -> b);
    }

    private ChatClient client(LoopbackServer server, UnaryOperator<ChatClientConfig.Builder> settings) {
        return client(server.baseUrl(), settings);
    }

    private ChatClient client(String baseUrl, UnaryOperator<ChatClientConfig.Builder> settings) {
        ChatClientConfig config = settings.apply(ChatClientConfig.builder()
                .baseUrl(baseUrl)
                .apiKey(ApiKey.of(KEY))
                .firstByteTimeout(Duration.ofSeconds(5))
                .idleTimeout(Duration.ofSeconds(5))
                .attemptTimeout(Duration.ofSeconds(10))
                .maxInFlight(4)).build();
        assertThat(config.toString()).doesNotContain(KEY);
        ChatClient client = new ChatClient(config, Clock.fixed(NOW, ZoneOffset.UTC));
        resources.add(0, client);
        return client;
    }

    private CallOutcome call(ChatClient client, ChatRequest request) {
        CallOutcome outcome = client.call(request).block(WAIT);
        assertThat(outcome).as("outcome within %s", WAIT).isNotNull();
        outcomes.add(outcome);
        return outcome;
    }

    private static ChatRequest request(String account) {
        return ChatRequest.newBuilder()
                .setRequestId("req-1")
                .setThreadId("thread-3")
                .setAssistantId("asst-9")
                .setAccount(account)
                .setMessages(List.of(
                        ChatMessage.newBuilder().setRole(MessageRole.System).setText("You are terse.").build(),
                        ChatMessage.newBuilder().setRole(MessageRole.User).setText("Hi \u00e9\uD83D\uDE00").build(),
                        ChatMessage.newBuilder().setRole(MessageRole.Assistant).setText(null).build()))
                .build();
    }
}
