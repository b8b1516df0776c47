package dev.chatbridge.engine;

import static dev.chatbridge.engine.EngineDriver.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.engine.FakeChatApi.Behaviour;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.ProblemDetails;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.assertj.core.groups.Tuple;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ChatBridgeTopologyTest {

    @TempDir
    Path stateDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private EngineDriver driver(EngineConfig config, FakeChatApi api) {
        toClose.add(api);
        EngineDriver d = new EngineDriver(config, api, stateDir, true);
        toClose.add(d);
        return d;
    }

    private static EngineConfig.Builder config() {
        return EngineConfig.builder()
                .retryPolicy(new RetryPolicy(
                        3,
                        Duration.ofMillis(5),
                        Duration.ofMillis(20),
                        Duration.ofMillis(50),
                        Duration.ofSeconds(10),
                        new SplittableRandom(42)));
    }

    @Test
    void shouldEmitOutcomesOfAConversationInInputOrderWhenLaterCallsOfOtherConversationsFinishFirst() {
        // Given an API that holds the calls of conversation "slow" until released, and answers every other conversation
        // at once
        FakeChatApi api = new FakeChatApi((r, attempt) -> "slow".equals(r.getThreadId())
                ? Behaviour.hold(FakeChatApi.success(r.getRequestId()))
                : Behaviour.answer(FakeChatApi.success(r.getRequestId()), Duration.ZERO));
        EngineDriver d = driver(config().build(), api);

        // When three requests of "slow" are interleaved with requests of other conversations
        for (int i = 1; i <= 3; i++) {
            d.send(request("slow-" + i, "slow", "hi " + i));
            d.send(request("fast-" + i, "fast-" + i, "hi"));
        }
        // the fast conversations are answered while slow-1 is held, and slow-2 and slow-3 wait behind it
        d.awaitOutcomes(3);
        assertThat(d.responseIds()).containsExactlyInAnyOrder("fast-1", "fast-2", "fast-3");
        assertThat(api.held()).containsExactly("slow-1");
        // and each call of "slow" is made only once the previous one was released
        for (String id : List.of("slow-1", "slow-2", "slow-3")) {
            d.awaitUntil(() -> api.held().equals(List.of(id)));
            api.release(id);
        }
        d.awaitOutcomes(6);

        // Then "slow" is answered in input order, after the fast conversations had their answers
        assertThat(d.responses)
                .extracting(e -> e.getValue().getRequestId())
                .filteredOn(id -> id.startsWith("slow"))
                .containsExactly("slow-1", "slow-2", "slow-3");
        assertThat(d.responseIds().indexOf("fast-3")).isLessThan(d.responseIds().indexOf("slow-3"));
        assertThat(api.calls()).filteredOn(id -> id.startsWith("slow")).containsExactly("slow-1", "slow-2", "slow-3");
        assertThat(api.overlaps())
                .as("calls of one conversation that overlapped")
                .isZero();
        assertThat(d.responses)
                .allSatisfy(e -> assertThat(e.getKey())
                        .isEqualTo(
                                e.getValue().getThreadId() == null
                                        ? e.getValue().getRequestId()
                                        : e.getValue().getThreadId()));
    }

    @Test
    void shouldCopyCorrelationAndAnswerFieldsIntoTheResponse() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().build(), api);
        ChatRequest r = ChatRequest.newBuilder(request("r-1", null, "hello"))
                .setAccount("user@example.com")
                .setAssistantId("assistant-7")
                .build();

        d.send(r);
        d.awaitOutcomes(1);

        ChatResponse response = d.responses.get(0).getValue();
        assertThat(d.responses.get(0).getKey())
                .as("key of a request without conversation")
                .isEqualTo("r-1");
        assertThat(response.getRequestId()).isEqualTo("r-1");
        assertThat(response.getThreadId()).isNull();
        assertThat(response.getAccount()).isEqualTo("user@example.com");
        assertThat(response.getAssistantId()).isEqualTo("assistant-7");
        assertThat(response.getMetadata()).containsEntry("origin", "test");
        assertThat(response.getText()).isEqualTo("answer to r-1");
        assertThat(response.getSourcesIds()).containsExactly("s1");
        assertThat(response.getApiRequestId()).isEqualTo("api-1");
        assertThat(response.getAttempts()).isEqualTo(1);
        assertThat(response.getLatencyMs()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void shouldNeverExceedTheInFlightCapAndReachItWhenEnoughConversationsWait() {
        // Given at most 4 calls in flight and 30 conversations waiting, with calls held until released
        FakeChatApi api = FakeChatApi.holding();
        EngineDriver d = driver(config().maxInFlight(4).maxPending(100).build(), api);

        IntStream.range(0, 30).forEach(i -> d.send(request("r-" + i, "t-" + i, "hi")));
        // each time a call finishes, the next waiting conversation's call takes its place, never a fifth
        for (int released = 0; released < 30; released++) {
            int inFlight = Math.min(4, 30 - released);
            d.awaitUntil(() -> api.held().size() == inFlight);
            assertThat(api.inFlight())
                    .as("calls in flight after %d answers", released)
                    .isEqualTo(inFlight);
            api.releaseOldest();
        }
        d.awaitOutcomes(30);

        assertThat(api.peak()).as("peak of concurrent calls").isEqualTo(4);
        assertThat(d.resources.limiter().peak()).isEqualTo(4);
        assertThat(d.resources.limiter().inUse())
                .as("permits held after everything finished")
                .isZero();
        assertThat(d.resources.pending().get())
                .as("pending after everything finished")
                .isZero();
    }

    @Test
    void shouldDeadLetterInvalidRequestsWithoutCallingTheApi() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().maxMessages(2).maxTextBytes(10).build(), api);
        ChatRequest noMessages = ChatRequest.newBuilder(request("no-messages", "t", "x"))
                .setMessages(List.of())
                .build();
        ChatRequest injection = ChatRequest.newBuilder(request("injection", "t", "x"))
                .setAccount("user@example.com\r\nX-Evil: 1")
                .build();
        ChatRequest one = request("too-many", "t", "x");
        ChatRequest tooMany = ChatRequest.newBuilder(one)
                .setMessages(List.of(
                        one.getMessages().get(0),
                        one.getMessages().get(0),
                        one.getMessages().get(0)))
                .build();
        ChatRequest tooLarge = request("too-large", "t", "x".repeat(11));

        List.of(noMessages, injection, tooMany, tooLarge).forEach(d::send);
        d.collect();

        assertThat(api.calls()).isEmpty();
        assertThat(d.deadLetters)
                .extracting(e -> e.getValue().getReason())
                .containsOnly(DeadLetterReason.INVALID_REQUEST);
        assertThat(d.deadLetters)
                .extracting(e -> e.getValue().getMessage())
                .satisfiesExactly(
                        m -> assertThat(m).contains("messages is empty"),
                        m -> assertThat(m).contains("account contains a control character (CR)", "header injection"),
                        m -> assertThat(m).contains("3 messages", EngineConfig.KEY_MAX_MESSAGES),
                        m -> assertThat(m).contains("11 UTF-8 bytes", EngineConfig.KEY_MAX_TEXT_BYTES));
        assertThat(d.deadLetters).allSatisfy(e -> {
            assertThat(e.getKey()).isEqualTo("t");
            assertThat(e.getValue().getAttempts()).isZero();
            assertThat(e.getValue().getRequest()).isNotNull();
        });
    }

    @Test
    void shouldKeepEveryProblemDetailOfABadRequest() {
        ProblemDetails problem = ProblemDetails.newBuilder()
                .setTitle("One or more validation errors occurred.")
                .setStatus(400)
                .setErrors(Map.of("messages[0].role", List.of("The role is invalid.")))
                .setExtensionsJson("{\"traceId\":\"abc\"}")
                .build();
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                new CallOutcome.PermanentFailure(
                        DeadLetterReason.BAD_REQUEST, 400, problem, null, "the API refused the request"),
                Duration.ofMillis(1)));
        EngineDriver d = driver(config().build(), api);

        d.send(request("bad", "t", "hi"));
        d.awaitOutcomes(1);

        ChatDeadLetter dl = d.deadLetters.get(0).getValue();
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.BAD_REQUEST);
        assertThat(dl.getHttpStatus()).isEqualTo(400);
        assertThat(dl.getProblem()).isEqualTo(problem);
        assertThat(dl.getAttempts()).isEqualTo(1);
        assertThat(dl.getRequest().getRequestId()).isEqualTo("bad");
        assertThat(api.calls()).containsExactly("bad");
    }

    @Test
    void shouldRoutePermanentFailuresByTheirReason() {
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                switch (r.getRequestId()) {
                    case "rejected" ->
                        new CallOutcome.PermanentFailure(DeadLetterReason.REJECTED, 422, null, "nope", "rejected");
                    case "impersonation" ->
                        new CallOutcome.PermanentFailure(
                                DeadLetterReason.IMPERSONATION_DENIED,
                                403,
                                null,
                                "not allowed",
                                "impersonation refused");
                    default ->
                        new CallOutcome.PermanentFailure(
                                DeadLetterReason.UNPARSEABLE_RESPONSE, 200, null, "{not json", "200 body is not JSON");
                },
                Duration.ofMillis(1)));
        EngineDriver d = driver(config().build(), api);

        d.send(request("rejected", "t", "hi"));
        d.send(request("unparseable", "t", "hi"));
        d.send(request("impersonation", "t", "hi"));
        d.awaitOutcomes(3);

        assertThat(d.deadLetters)
                .extracting(e -> e.getValue().getReason(), e -> e.getValue().getResponseExcerpt())
                .containsExactly(
                        Tuple.tuple(DeadLetterReason.REJECTED, "nope"),
                        Tuple.tuple(DeadLetterReason.UNPARSEABLE_RESPONSE, "{not json"),
                        Tuple.tuple(DeadLetterReason.IMPERSONATION_DENIED, "not allowed"));
    }

    @Test
    void shouldRetryATransientFailureAndAnswerWithTheAttemptsCounted() {
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                "r".equals(r.getRequestId()) && attempt == 1
                        ? new CallOutcome.RetriableFailure(503, Duration.ofMillis(1), "busy", "503 Service Unavailable")
                        : FakeChatApi.success("ok"),
                Duration.ofMillis(1)));
        EngineDriver d = driver(config().build(), api);

        d.send(request("r", "t", "hi"));
        d.send(request("r2", "t", "next turn"));
        d.awaitOutcomes(2);

        assertThat(d.responses)
                .extracting(e -> e.getValue().getRequestId(), e -> e.getValue().getAttempts())
                .containsExactly(Tuple.tuple("r", 2), org.assertj.core.groups.Tuple.tuple("r2", 1));
        assertThat(api.calls())
                .as("the conversation's next request waits for the retry")
                .containsExactly("r", "r", "r2");
        assertThat(d.deadLetters).isEmpty();
    }

    @Test
    void shouldDeadLetterRetriesExhaustedWithTheLastStatusAndBody() {
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                new CallOutcome.RetriableFailure(
                        attempt < 3 ? 503 : 429, null, "body of attempt " + attempt, "HTTP failure"),
                Duration.ofMillis(1)));
        EngineDriver d = driver(config().build(), api);

        d.send(request("doomed", "t", "hi"));
        d.awaitOutcomes(1);

        ChatDeadLetter dl = d.deadLetters.get(0).getValue();
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
        assertThat(dl.getAttempts()).isEqualTo(3);
        assertThat(dl.getHttpStatus()).isEqualTo(429);
        assertThat(dl.getResponseExcerpt()).isEqualTo("body of attempt 3");
        assertThat(dl.getMessage()).contains("gave up after 3 attempts");
        assertThat(api.calls()).hasSize(3);
        assertThat(d.resources.pending().get()).isZero();
    }

    @Test
    void shouldDeadLetterUndecodableInputWithRawBytesAndCoordinatesAndKeepRunning() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(config().build(), api);
        byte[] key = "raw-key".getBytes(StandardCharsets.UTF_8);
        byte[] garbage = {(byte) 0xff, 0x01, 0x02, 0x03};

        d.sendRaw(key, garbage);
        d.sendRaw(new byte[] {(byte) 0xc3, 0x28}, null);
        d.send(request("after", "t", "hi"));
        d.awaitOutcomes(3);

        assertThat(d.deadLetters).hasSize(2);
        ChatDeadLetter dl = d.deadLetters.get(0).getValue();
        assertThat(d.deadLetters.get(0).getKey()).isEqualTo("raw-key");
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_INPUT);
        assertThat(dl.getRawKey().array()).isEqualTo(key);
        assertThat(dl.getRawValue().array()).isEqualTo(garbage);
        assertThat(dl.getSourceTopic()).isEqualTo("chat-requests");
        assertThat(dl.getSourcePartition()).isZero();
        assertThat(dl.getSourceOffset()).isZero();
        assertThat(dl.getRequestId()).isNull();
        ChatDeadLetter tombstone = d.deadLetters.get(1).getValue();
        assertThat(d.deadLetters.get(1).getKey())
                .as("a key that is not UTF-8 is kept only as raw bytes")
                .isNull();
        assertThat(tombstone.getMessage()).contains("null");
        assertThat(tombstone.getSourceOffset()).isEqualTo(1L);
        assertThat(d.responseIds()).containsExactly("after");
    }

    @Test
    void shouldDeadLetterAnAnswerTooLargeForTheOutputTopicSayingNothingWasTruncated() {
        FakeChatApi api = new FakeChatApi(
                (r, attempt) -> Behaviour.answer(FakeChatApi.success("y".repeat(20_000)), Duration.ofMillis(1)));
        EngineDriver d = driver(config().maxResponseBytes(16_384).build(), api);

        d.send(request("big", "t", "hi"));
        d.awaitOutcomes(1);

        assertThat(d.responses).isEmpty();
        ChatDeadLetter dl = d.deadLetters.get(0).getValue();
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.RESPONSE_TOO_LARGE);
        assertThat(dl.getMessage())
                .contains(
                        EngineConfig.KEY_MAX_RESPONSE_BYTES + "=16384",
                        "first 1000 of 20000 characters",
                        "nothing was truncated silently");
        assertThat(dl.getResponseExcerpt()).hasSize(1000);
    }

    @Test
    void shouldPauseWithoutDeadLettersWhenTheKeyCheckIsRefusedTooAndResumeWhenTheApiAcceptsTheKeyAgain() {
        // Given an API that refuses the key: calls and key checks alike
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                new CallOutcome.Refused(401, CallOutcome.Suspect.KEY, null, null, "key refused"),
                Duration.ofMillis(1)));
        api.keyChecks(KeyCheck.Verdict.REFUSED);
        EngineDriver d = driver(
                config().pauseInitialBackoff(Duration.ofMillis(30))
                        .pauseMaxBackoff(Duration.ofMillis(60))
                        .build(),
                api);

        // When requests arrive
        IntStream.range(0, 5).forEach(i -> d.send(request("r-" + i, "t-" + i, "hi")));
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    d.tick();
                    return api.keyChecksMade() >= 4;
                });

        // Then dispatching is paused: not ready, one episode, no outcome, and no user's request is a probe
        assertThat(d.resources.pause().isReady()).isFalse();
        assertThat(d.resources.pause().episodes()).isEqualTo(1);
        assertThat(d.outcomes()).isZero();
        int callsWhenPaused = api.calls().size();
        int checksWhenPaused = api.keyChecksMade();
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    d.tick();
                    return api.keyChecksMade() >= checksWhenPaused + 2;
                });
        assertThat(api.calls())
                .as("no user's request is sent while paused; the pause probes with key checks")
                .hasSize(callsWhenPaused);

        // When the key works again
        api.script((r, attempt) -> Behaviour.answer(FakeChatApi.success("ok"), Duration.ofMillis(1)));
        api.keyChecks(KeyCheck.Verdict.ACCEPTED);
        d.awaitOutcomes(5);

        // Then every request is answered once, and the instance is ready again
        assertThat(d.responseIds()).containsExactlyInAnyOrder("r-0", "r-1", "r-2", "r-3", "r-4");
        assertThat(d.deadLetters).isEmpty();
        assertThat(d.resources.pause().isReady()).isTrue();
        assertThat(d.resources.pause().episodes()).isEqualTo(1);
        assertThat(d.responses)
                .allSatisfy(e -> assertThat(e.getValue().getAttempts())
                        .as("refusals of the deployment do not spend the retry budget")
                        .isEqualTo(1));
    }

    @Test
    void shouldDeadLetterARefusedAccountAsImpersonationDeniedWithoutPausingOtherRequests() {
        // Given an API that refuses one account, while the key itself is accepted
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.answer(
                "mallory@example.com".equals(r.getAccount())
                        ? new CallOutcome.Refused(
                                403, CallOutcome.Suspect.ACCOUNT, null, "forbidden", "account refused")
                        : FakeChatApi.success("ok"),
                Duration.ofMillis(1)));
        EngineDriver d = driver(config().build(), api);

        // When refused and normal requests arrive, two of the refused one's conversation after it
        d.send(withAccount(request("bad-1", "t-bad", "hi"), "mallory@example.com"));
        d.send(request("after-bad", "t-bad", "next turn"));
        IntStream.range(0, 4).forEach(i -> d.send(request("ok-" + i, "t-" + i, "hi")));
        d.awaitOutcomes(6);

        // Then the refused request has one IMPERSONATION_DENIED dead letter, in its conversation's order
        assertThat(d.deadLetters).singleElement().satisfies(e -> {
            assertThat(e.getValue().getRequestId()).isEqualTo("bad-1");
            assertThat(e.getValue().getReason()).isEqualTo(DeadLetterReason.IMPERSONATION_DENIED);
            assertThat(e.getValue().getHttpStatus()).isEqualTo(403);
        });
        assertThat(d.responseIds()).containsExactlyInAnyOrder("after-bad", "ok-0", "ok-1", "ok-2", "ok-3");
        assertThat(d.resources.pause().isReady()).isTrue();
        assertThat(d.resources.pause().episodes()).isZero();
        assertThat(api.keyChecksMade()).isEqualTo(1);
    }

    private static ChatRequest withAccount(ChatRequest request, String account) {
        return ChatRequest.newBuilder(request).setAccount(account).build();
    }

    @Test
    void shouldRekeyByConversationKeyThroughARepartitionTopic() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d =
                driver(config().inputKeying(EngineConfig.InputKeying.REKEY).build(), api);

        d.sendRaw(null, EngineDriver.REQUESTS.serializer().serialize("chat-requests", request("a", "thread-1", "x")));
        d.sendRaw(
                "other".getBytes(StandardCharsets.UTF_8),
                EngineDriver.REQUESTS.serializer().serialize("chat-requests", request("b", "thread-1", "y")));
        d.awaitOutcomes(2);

        assertThat(d.responses).extracting(Map.Entry::getKey).containsExactly("thread-1", "thread-1");
        assertThat(d.responseIds()).containsExactly("a", "b");
        assertThat(d.driver.producedTopicNames()).anyMatch(t -> t.contains("by-thread-repartition"));
    }

    @Test
    void shouldKeepOrderAndBoundsUnderRandomCompletionOrderAcrossManyConversations() {
        // Given 12 conversations of 8 requests each, calls that finish in a random order and random transient failures
        SplittableRandom random = new SplittableRandom(2026);
        FakeChatApi api = new FakeChatApi((r, attempt) -> {
            boolean fail = attempt == 1 && Math.abs(r.getRequestId().hashCode()) % 5 == 0;
            return Behaviour.hold(
                    fail
                            ? new CallOutcome.RetriableFailure(500, null, null, "500")
                            : FakeChatApi.success(r.getRequestId()));
        });
        EngineDriver d = driver(config().maxInFlight(5).maxPending(200).build(), api);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            for (int t = 0; t < 12; t++) {
                if (random.nextInt(4) > 0 || i == 0) {
                    String id = "t" + t + "-" + i;
                    sent.add(id);
                    d.send(request(id, "t" + t, "turn " + i));
                }
            }
        }
        // each round, the calls in flight finish in a random order
        SplittableRandom finishing = new SplittableRandom(13);
        d.awaitUntil(() -> {
            List<String> held = new ArrayList<>(api.held());
            while (!held.isEmpty()) {
                api.release(held.remove(finishing.nextInt(held.size())));
            }
            return d.outcomes() >= sent.size();
        });

        // Then each request has one outcome, each conversation in input order, within every bound
        assertThat(d.responseIds()).containsExactlyInAnyOrderElementsOf(sent);
        for (int t = 0; t < 12; t++) {
            String prefix = "t" + t + "-";
            assertThat(d.responseIds())
                    .filteredOn(id -> id.startsWith(prefix))
                    .as("outcomes of conversation t" + t)
                    .containsExactlyElementsOf(
                            sent.stream().filter(id -> id.startsWith(prefix)).toList());
        }
        assertThat(api.overlaps()).as("overlapping calls of one conversation").isZero();
        assertThat(api.peak()).as("peak of concurrent calls").isLessThanOrEqualTo(5);
        assertThat(d.resources.limiter().inUse()).isZero();
        assertThat(d.resources.pending().get()).isZero();
        assertThat(d.resources.unforwardedCompletions())
                .as("completions not yet forwarded")
                .isZero();
    }
}
