package dev.chatbridge.api;

import static dev.chatbridge.api.SimulatorOutcomes.assertProblemExcerpt;
import static dev.chatbridge.api.SimulatorOutcomes.assertRefused;
import static dev.chatbridge.api.SimulatorOutcomes.assertTransportFailure;
import static dev.chatbridge.api.SimulatorOutcomes.assertUnparseable;
import static dev.chatbridge.api.SimulatorOutcomes.assertValidationProblem;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.ReceivedCall;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.testing.LogCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The acceptance tests of the /chats/v2 client: the production {@link ChatClient} against the {@link ApiSimulator} over
 * loopback HTTP. Every row of docs/architecture.md's "What each API answer becomes" gives the exact
 * {@link CallOutcome}; answers with every tool resource lose no field on the way to a ChatResponse event; and the API
 * key shows up in no log line and no outcome of the whole class (checked by the last test, with every logger of the
 * client, the simulator and Reactor Netty on).
 *
 * <p>The client always accepts {@code text/event-stream}, which the simulator then always uses; JSON answers are
 * reached through {@link JsonOnlyProxy}, which narrows {@code Accept}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(20)
class ChatClientAgainstSimulatorTest {

    private static final String KEY = "sk-sim-NEVER-LOG-ME-" + UUID.randomUUID();
    private static final String WRONG_KEY = "sk-sim-WRONG-NEVER-LOG-ME-" + UUID.randomUUID();
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Duration MAX_STALL = Duration.ofSeconds(3);
    private static final Duration SHORT = Duration.ofMillis(500);

    private final SentChunksOracle oracle = new SentChunksOracle(new ObjectMapper());
    private final List<CallOutcome> outcomes = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private LogCapture logs;
    private ApiSimulator simulator;
    private ChatClient client;

    @BeforeAll
    void startSimulatorAndCaptureLogs() {
        logs = LogCapture.start(Map.of("dev.chatbridge", Level.TRACE, "reactor.netty", Level.TRACE));
        simulator = simulator(5);
        client = client(simulator.baseUrl(), b -> b);
    }

    @AfterAll
    void stopAndRestoreLogging() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        logs.close();
    }

    // --- 200 ---

    @Test
    void shouldAggregateEveryEventWhenSimulatorStreamsAnAnswer() {
        // Given a plain request; When
        CallOutcome outcome = call(client, request("hello stream"));

        // Then the answer is exactly what the simulator sent
        oracle.assertAnswerIsWhatWasSent(simulator, outcome);
        assertThat(((CallOutcome.Success) outcome).answer().text())
                .startsWith("Turn 1 of thread ")
                .endsWith("🙂");
    }

    @Test
    void shouldParseTheAnswerWhenSimulatorAnswersJson() {
        // Given a client behind a proxy that makes the simulator answer application/json
        ChatClient jsonClient = client(jsonProxy(), b -> b);

        // When
        CallOutcome outcome = call(jsonClient, request("hello json"));

        // Then
        oracle.assertAnswerIsWhatWasSent(simulator, outcome);
    }

    @ParameterizedTest(name = "{0} text chunk(s)")
    @ValueSource(ints = {1, 5, 12})
    void shouldLoseNoFieldWhenAStreamedAnswerWithEveryToolResourceBecomesAResponseEvent(int chunks) throws IOException {
        // Given a simulator streaming the text in `chunks` events around the five tool parts
        ApiSimulator sim = chunks == 5 ? simulator : simulator(chunks);
        ChatClient streaming = chunks == 5 ? client : client(sim.baseUrl(), b -> b);
        ChatRequest request = request("Quelle est la politique café ? #tools");

        // When
        CallOutcome outcome = call(streaming, request);

        // Then
        oracle.assertResponseEventHoldsEverything(sim, request, outcome);
    }

    @Test
    void shouldLoseNoFieldWhenAJsonAnswerWithEveryToolResourceBecomesAResponseEvent() throws IOException {
        // Given
        ChatClient jsonClient = client(jsonProxy(), b -> b);
        ChatRequest request = request("Quelle est la politique café ? #tools");

        // When
        CallOutcome outcome = call(jsonClient, request);

        // Then
        oracle.assertResponseEventHoldsEverything(simulator, request, outcome);
    }

    // --- 400 ---

    @Test
    void shouldKeepTheWholeValidationProblemWhenSimulatorRejectsAnEmptyMessageList() throws IOException {
        // Given a request without messages (the engine would refuse it; here it reaches the API)
        ChatRequest request =
                ChatRequest.newBuilder(request("unused")).setMessages(List.of()).build();

        // When
        CallOutcome outcome = call(client, request);

        // Then
        assertValidationProblem(
                outcome,
                Map.of(
                        "messages",
                        List.of("The field Messages must be a string or array type with a minimum length of '1'.")));
    }

    @Test
    void shouldKeepTheWholeValidationProblemWhenSimulatorInjectsA400() throws IOException {
        CallOutcome outcome = call(client, request("bad words #fault:400"));

        assertValidationProblem(
                outcome,
                Map.of("messages[1].text", List.of("The text contains content the assistant does not accept.")));
    }

    // --- refusals: the request's or the deployment's, as the key check tells ---

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void shouldSuspectTheAccountWhenSimulatorRefusesACallCarryingOne(int status) {
        CallOutcome outcome = call(client, request("hi #fault:" + status));

        assertRefused(outcome, status, CallOutcome.Suspect.ACCOUNT);
        assertThat(client.checkKey().block(WAIT).verdict())
                .as("the key itself is accepted")
                .isEqualTo(KeyCheck.Verdict.ACCEPTED);
    }

    @Test
    void shouldSuspectTheEndpointWhenSimulatorAnswers404NamingNothing() {
        assertRefused(call(client, request("hi #fault:404")), 404, CallOutcome.Suspect.ENDPOINT);
        assertThat(client.checkKey().block(WAIT).verdict()).isEqualTo(KeyCheck.Verdict.ACCEPTED);
    }

    @Test
    void shouldFindTheKeyRefusedWhenSimulatorDoesNotKnowIt() {
        ChatClient wrongKey = client(simulator.baseUrl(), b -> b.apiKey(ApiKey.of(WRONG_KEY)));

        assertRefused(call(wrongKey, request("hi")), 401, CallOutcome.Suspect.ACCOUNT);
        KeyCheck check = wrongKey.checkKey().block(WAIT);
        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.REFUSED);
        assertThat(check.message()).contains("chat.api.key");
    }

    @Test
    void shouldFindTheKeyRefusedWhileSimulatorRejectsAllKeysAndAcceptedAfterwards() {
        simulator.rejectAllKeys(true);
        try {
            assertRefused(call(client, request("hi")), 401, CallOutcome.Suspect.ACCOUNT);
            assertThat(client.checkKey().block(WAIT).verdict()).isEqualTo(KeyCheck.Verdict.REFUSED);
        } finally {
            simulator.rejectAllKeys(false);
        }
        assertThat(client.checkKey().block(WAIT).verdict()).isEqualTo(KeyCheck.Verdict.ACCEPTED);
        assertThat(call(client, request("hi again")))
                .as("once keys are accepted again")
                .isInstanceOf(CallOutcome.Success.class);
    }

    @Test
    void shouldFindTheEndpointRefusedWhenTheBaseUrlHasAWrongPath() {
        ChatClient wrongPath = client(simulator.baseUrl() + "/v0", b -> b);

        assertRefused(call(wrongPath, request("hi")), 404, CallOutcome.Suspect.ENDPOINT);
        KeyCheck check = wrongPath.checkKey().block(WAIT);
        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.REFUSED);
        assertThat(check.message()).contains("chat.api.url");
    }

    // --- rejected and retriable statuses ---

    @ParameterizedTest
    @ValueSource(ints = {405, 409, 413, 415, 422})
    void shouldRejectTheRequestWhenSimulatorAnswersAClientErrorOtherThan400(int status) throws IOException {
        CallOutcome outcome = call(client, request("hi #fault:" + status));

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.PermanentFailure.class, f -> {
            assertThat(f.reason()).isEqualTo(DeadLetterReason.REJECTED);
            assertThat(f.httpStatus()).isEqualTo(status);
            assertThat(f.problem()).isNull();
            assertThat(f.message()).startsWith("the API rejected the request with HTTP " + status);
        });
        assertProblemExcerpt(((CallOutcome.PermanentFailure) outcome).excerpt(), status);
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 425, 429, 500, 502, 503, 504})
    void shouldRetryWhenSimulatorAnswersATransientStatus(int status) throws IOException {
        CallOutcome outcome = call(client, request("hi #fault:" + status));

        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, f -> {
            assertThat(f.httpStatus()).isEqualTo(status);
            assertThat(f.retryAfter()).as("Retry-After").isEqualTo(status == 429 ? Duration.ofSeconds(1) : null);
            assertThat(f.message())
                    .startsWith("the API answered HTTP " + status + " ")
                    .endsWith(", a transient failure");
        });
        String excerpt = ((CallOutcome.RetriableFailure) outcome).excerpt();
        if (status == 502 || status == 504) {
            assertThat(excerpt)
                    .as("gateway page excerpt")
                    .contains("<h1>" + status + " ")
                    .contains("nginx");
        } else {
            assertProblemExcerpt(excerpt, status);
        }
    }

    @Test
    void shouldReadRetryAfterAsADateWhenSimulatorSendsAnHttpDate() {
        CallOutcome outcome = call(client, request("hi #fault:429date"));

        // the simulator sends now + 2 s truncated to the second: between 1 and 2 s ahead
        assertThat(outcome).isInstanceOfSatisfying(CallOutcome.RetriableFailure.class, f -> {
            assertThat(f.httpStatus()).isEqualTo(429);
            assertThat(f.retryAfter())
                    .as("Retry-After from an HTTP-date")
                    .isBetween(Duration.ofMillis(800), Duration.ofMillis(2000));
        });
    }

    @Test
    void shouldSucceedOnTheThirdAttemptWhenSimulatorFailsTheFirstTwo() {
        // Given one request, attempted three times (same requestId, sent as X-Request-Id)
        ChatRequest request = request("twice broken #fault:500x2");

        // When
        List<CallOutcome> attempts = List.of(call(client, request), call(client, request), call(client, request));

        // Then
        assertThat(attempts.get(0))
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        f -> assertThat(f.httpStatus()).isEqualTo(500));
        assertThat(attempts.get(1))
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        f -> assertThat(f.httpStatus()).isEqualTo(500));
        oracle.assertAnswerIsWhatWasSent(simulator, attempts.get(2));
        assertThat(simulator.receivedOrder(request.getThreadId()))
                .extracting(ReceivedCall::correlationId)
                .containsExactly(request.getRequestId(), request.getRequestId(), request.getRequestId());
    }

    // --- transport failures and time limits ---

    @Test
    void shouldRetryWhenSimulatorResetsTheConnection() {
        CallOutcome outcome = call(client, request("hi #fault:reset"));

        assertTransportFailure(outcome);
        assertThat(((CallOutcome.RetriableFailure) outcome).cause()).isEqualTo(CallOutcome.RetryCause.RESET);
        assertThat(((CallOutcome.RetriableFailure) outcome).message()).doesNotStartWith("timed out");
    }

    @Test
    void shouldRetryWhenNothingListensOnThePort() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        ChatClient nowhere = client("http://127.0.0.1:" + port, b -> b);

        CallOutcome outcome = call(nowhere, request("hi"));

        assertTransportFailure(outcome);
        assertThat(((CallOutcome.RetriableFailure) outcome).cause()).isEqualTo(CallOutcome.RetryCause.CONNECT);
        assertThat(((CallOutcome.RetriableFailure) outcome).message())
                .startsWith("cannot connect to http://127.0.0.1:" + port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hang", "slow2500"})
    void shouldTimeOutWhenTheFirstByteComesTooLate(String fault) {
        ChatClient impatient = client(simulator.baseUrl(), b -> b.firstByteTimeout(SHORT));
        long start = System.nanoTime();

        CallOutcome outcome = call(impatient, request("wait #fault:" + fault));

        assertTransportFailure(outcome);
        assertThat(((CallOutcome.RetriableFailure) outcome).cause()).isEqualTo(CallOutcome.RetryCause.TIMEOUT);
        assertThat(((CallOutcome.RetriableFailure) outcome).message())
                .isEqualTo("timed out: no byte of the answer within firstByteTimeout " + SHORT);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("time until the client gave up")
                .isLessThan(MAX_STALL);
    }

    @Test
    void shouldTimeOutWhenTheStreamStallsLongerThanTheIdleTimeout() {
        ChatClient impatient = client(simulator.baseUrl(), b -> b.idleTimeout(SHORT));

        CallOutcome outcome = call(impatient, request("wait #fault:stall"));

        assertTransportFailure(outcome);
        assertThat(((CallOutcome.RetriableFailure) outcome).cause()).isEqualTo(CallOutcome.RetryCause.TIMEOUT);
        assertThat(((CallOutcome.RetriableFailure) outcome).message())
                .isEqualTo("timed out: the answer stalled: no byte for idleTimeout " + SHORT);
    }

    // --- unusable answers ---

    @Test
    void shouldGiveUpWithAnExcerptWhenAStreamedEventIsMalformed() {
        CallOutcome outcome = call(client, request("hi #fault:malformed"));

        assertUnparseable(
                outcome,
                "{\"text\": \"unterminated",
                "event 2 of the event stream is not a /chats/v2 answer: answer object is not valid JSON");
    }

    @Test
    void shouldGiveUpWithAnExcerptWhenAJsonAnswerIsMalformed() {
        CallOutcome outcome = call(client(jsonProxy(), b -> b), request("hi #fault:malformed"));

        assertUnparseable(outcome, "{\"text\": \"Turn 1 of thread ? : voilà", "the JSON answer is not valid JSON: ");
    }

    @Test
    void shouldRetryWhenTheStreamBreaksMidwayAndBrokenStreamsAreRetried() {
        CallOutcome outcome = call(client, request("hi #fault:midstream"));

        assertThat(outcome)
                .isEqualTo(
                        new CallOutcome.RetriableFailure(
                                CallOutcome.RetryCause.BROKEN_STREAM,
                                200,
                                null,
                                null,
                                "the event stream broke (PrematureCloseException) after 2 complete events; the partial answer is discarded"));
    }

    @Test
    void shouldGiveUpWhenTheStreamBreaksMidwayAndBrokenStreamsAreNotRetried() {
        ChatClient strict = client(simulator.baseUrl(), b -> b.retryBrokenStreams(false));

        CallOutcome outcome = call(strict, request("hi #fault:midstream"));

        assertThat(outcome)
                .isEqualTo(
                        new CallOutcome.PermanentFailure(
                                DeadLetterReason.UNPARSEABLE_RESPONSE,
                                200,
                                null,
                                null,
                                "the event stream broke (PrematureCloseException) after 2 complete events (retryBrokenStreams is false)"));
    }

    // --- the key, over the whole class ---

    @Test
    @Order(Integer.MAX_VALUE)
    void shouldNeverShowTheApiKeyInALogLineOrAnOutcome() {
        // Given every test above ran with every logger on (this one runs last)
        assertThat(outcomes)
                .as("outcomes produced by this class (the check needs the whole class run first)")
                .hasSizeGreaterThan(30);
        assertThat(logs.events())
                .as("log lines of the client itself (capture reaches dev.chatbridge.api)")
                .anyMatch(e -> e.getLoggerName().equals(ChatClient.class.getName()));
        assertThat(logs.events())
                .as("log lines of Reactor Netty")
                .anyMatch(e -> e.getLoggerName().startsWith("reactor.netty"));

        // Then neither key appears anywhere
        List<String> leaks = new ArrayList<>(logs.linesContaining(KEY, WRONG_KEY));
        for (CallOutcome outcome : outcomes) {
            leaks.addAll(leaks(outcome.toString()));
        }
        leaks.addAll(leaks(simulator.stats().toString()));
        assertThat(leaks)
                .as("log lines, outcomes or simulator stats carrying an API key")
                .isEmpty();
    }

    // --- helpers ---

    private static List<String> leaks(String text) {
        return text.contains(KEY) || text.contains(WRONG_KEY) ? List.of(text) : List.of();
    }

    private ApiSimulator simulator(int chunks) {
        ApiSimulator sim = new ApiSimulator(SimulatorConfig.builder()
                        .apiKeys(KEY)
                        .chunks(chunks)
                        .chunkInterval(Duration.ofMillis(5))
                        .maxStall(MAX_STALL)
                        .slowDelay(Duration.ofSeconds(2))
                        .stallPause(Duration.ofMillis(2500))
                        .build())
                .start();
        resources.add(sim);
        return sim;
    }

    private String jsonProxy() {
        JsonOnlyProxy proxy = new JsonOnlyProxy(simulator.baseUrl());
        resources.add(0, proxy);
        return proxy.baseUrl();
    }

    private ChatClient client(String baseUrl, UnaryOperator<ChatClientConfig.Builder> settings) {
        ChatClient c = new ChatClient(
                settings.apply(ChatClientConfig.builder()
                                .baseUrl(baseUrl)
                                .apiKey(ApiKey.of(KEY))
                                .connectTimeout(Duration.ofSeconds(2))
                                .firstByteTimeout(Duration.ofSeconds(5))
                                .idleTimeout(Duration.ofSeconds(5))
                                .attemptTimeout(Duration.ofSeconds(10))
                                .maxInFlight(4))
                        .build(),
                Clock.systemUTC());
        resources.add(0, c);
        return c;
    }

    private CallOutcome call(ChatClient c, ChatRequest request) {
        CallOutcome outcome = c.call(request).block(WAIT);
        assertThat(outcome).as("outcome within %s", WAIT).isNotNull();
        outcomes.add(outcome);
        return outcome;
    }

    /** A request of its own thread: a System message, then the User text (where fault markers go). */
    private ChatRequest request(String userText) {
        int n = ids.incrementAndGet();
        return ChatRequest.newBuilder()
                .setRequestId("req-" + n)
                .setThreadId("thread-" + n)
                .setAssistantId("asst-1")
                .setAccount("zoe@example.com")
                .setMetadata(Map.of("source", "acceptance", "n", Integer.toString(n)))
                .setMessages(List.of(
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.System)
                                .setText("Réponds brièvement.")
                                .build(),
                        ChatMessage.newBuilder()
                                .setRole(MessageRole.User)
                                .setText(userText)
                                .build()))
                .build();
    }
}
