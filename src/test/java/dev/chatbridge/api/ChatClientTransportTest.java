package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.events.DeadLetterReason;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * ChatClient over loopback: connect errors, resets, time limits, broken streams, cancellation, pool limits, header
 * safety and TLS.
 */
class ChatClientTransportTest extends ChatClientTestSupport {

    // --- transport failures and time limits ---

    @Test
    void shouldRetryWhenNothingListensOnThePort() throws IOException {
        // Given
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
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
        assertThat(outcome)
                .isEqualTo(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT,
                        null,
                        null,
                        null,
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
        assertThat(outcome)
                .isEqualTo(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT,
                        null,
                        null,
                        null,
                        "timed out: the answer stalled: no byte for idleTimeout PT0.3S"));
    }

    @Test
    void shouldTimeOutWhenTheAttemptPassesItsDeadlineDespiteKeepAlives() {
        // Given
        String[] keepAlives = new String[100];
        Arrays.fill(keepAlives, ": keep-alive\n\n");
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(50), keepAlives));

        // When
        CallOutcome outcome = call(
                client(
                        server,
                        // The first byte may take a while in a cold JVM (the test can run first): 2 s.
                        b -> b.firstByteTimeout(Duration.ofSeconds(2))
                                .attemptTimeout(Duration.ofSeconds(3))
                                .connectTimeout(Duration.ofSeconds(2))),
                request(null));

        // Then (the keep-alives would last 5 s)
        assertThat(outcome)
                .isEqualTo(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT,
                        null,
                        null,
                        null,
                        "timed out: the attempt took longer than attemptTimeout PT3S"));
    }

    @Test
    void shouldRetryWhenTheStreamIsCutAfterAnEventAndBrokenStreamsAreRetried() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenCut(LoopbackServer.SSE, "data: {\"text\":\"a\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.retryBrokenStreams(true)), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(
                        new CallOutcome.RetriableFailure(
                                CallOutcome.RetryCause.BROKEN_STREAM,
                                200,
                                null,
                                null,
                                "the event stream broke (PrematureCloseException) after 1 complete events; the partial answer is discarded"));
    }

    @Test
    void shouldFailPermanentlyWhenTheStreamIsCutAfterAnEventAndBrokenStreamsAreNotRetried() {
        // Given
        LoopbackServer server = server(LoopbackServer.thenCut(LoopbackServer.SSE, "data: {\"text\":\"a\"}\n\n"));

        // When
        CallOutcome outcome = call(client(server, b -> b.retryBrokenStreams(false)), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(
                        new CallOutcome.PermanentFailure(
                                DeadLetterReason.UNPARSEABLE_RESPONSE,
                                200,
                                null,
                                null,
                                "the event stream broke (PrematureCloseException) after 1 complete events (retryBrokenStreams is false)"));
    }

    @Test
    void shouldTreatAStreamEndingInTheMiddleOfAnEventAsBroken() {
        // Given
        LoopbackServer server = server(
                LoopbackServer.sse(Duration.ofMillis(5), "data: {\"text\":\"a\"}\n\n", "data: {\"text\":\"b\"}"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(
                        new CallOutcome.RetriableFailure(
                                CallOutcome.RetryCause.BROKEN_STREAM,
                                200,
                                null,
                                null,
                                "the event stream ended in the middle of an event after 1 complete events; the partial answer is discarded"));
    }

    @Test
    void shouldFailPermanentlyWhenTheStreamHasNoEvent() {
        // Given
        LoopbackServer server = server(LoopbackServer.sse(Duration.ofMillis(5), ": only a comment\n\n"));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.PermanentFailure(
                        DeadLetterReason.UNPARSEABLE_RESPONSE,
                        200,
                        null,
                        null,
                        "the event stream ended without any event"));
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
        // Given: one connection, one waiting call allowed, and both taken
        LoopbackServer server = server(LoopbackServer.stall());
        OnePlace place = onePlaceTaken(server, Duration.ofMillis(500), Duration.ofSeconds(5));

        // When
        CallOutcome third = call(place.client(), request(null));

        // Then
        assertThat(third)
                .isEqualTo(
                        new CallOutcome.RetriableFailure(
                                CallOutcome.RetryCause.OTHER,
                                null,
                                null,
                                null,
                                "no pooled connection free and maxPendingAcquires 1 calls already waiting for one (maxInFlight 1)"));
        await().atMost(WAIT).until(() -> outcomes.size() == 2);
        assertThat(outcomes.get(1))
                .as("the waiting call")
                .isEqualTo(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT,
                        null,
                        null,
                        null,
                        "timed out: no pooled connection free within pendingAcquireTimeout PT0.5S"));
        assertThat(server.requestsReceived()).isZero();
    }

    @Test
    void shouldAdmitCallsAgainOnceTheCallsHoldingOrWaitingForTheConnectionEnd() throws Exception {
        // Given: the one connection held, the one waiting place taken, a third call refused
        LoopbackServer server = server(LoopbackServer.stall());
        OnePlace place = onePlaceTaken(server, Duration.ofSeconds(10), Duration.ofSeconds(10));
        ChatClient client = place.client();
        assertThat(call(client, request(null)))
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        failure -> assertThat(failure.message()).startsWith("no pooled connection free"));

        // When: the holding call is cancelled, the waiting one gets the connection; then it is cancelled too
        place.holding().dispose();
        server.takeRequest();
        place.waiting().dispose();

        // Then: both places are free again, so a new call reaches the server
        Disposable later = client.call(request(null)).subscribe(outcomes::add);
        resources.add(later::dispose);
        assertThat(server.takeRequest().method()).isEqualTo("POST");
        assertThat(outcomes).hasSize(1);
    }

    /** A client with one pooled connection and one waiting place, and calls holding and waiting for them. */
    private record OnePlace(ChatClient client, Disposable holding, Disposable waiting) {}

    private OnePlace onePlaceTaken(LoopbackServer server, Duration pendingAcquireTimeout, Duration firstByteTimeout)
            throws InterruptedException {
        ChatClient client = client(
                server,
                b -> b.maxInFlight(1)
                        .maxPendingAcquires(1)
                        .pendingAcquireTimeout(pendingAcquireTimeout)
                        .firstByteTimeout(firstByteTimeout));
        Disposable holding = client.call(request(null)).subscribe(outcomes::add);
        resources.add(holding::dispose);
        server.takeRequest();
        Disposable waiting = client.call(request(null)).subscribe(outcomes::add);
        resources.add(waiting::dispose);
        return new OnePlace(client, holding, waiting);
    }

    @Test
    void shouldSayAKeyCheckTimedOutWhenTheApiNeverAnswersIt() throws Exception {
        // Given an API that takes the key check and never answers
        LoopbackServer server = server(LoopbackServer.stall());
        ChatClient client = client(server, b -> b.firstByteTimeout(Duration.ofMillis(300)));

        // When
        KeyCheck check = client.checkKey().block(WAIT);

        // Then it is unknown for the time limit, not for a pool that was never full
        assertThat(server.takeRequest().method()).isEqualTo("POST");
        assertThat(check.verdict()).isEqualTo(KeyCheck.Verdict.UNKNOWN);
        assertThat(check.message())
                .isEqualTo("the key check got no answer: timed out: no answer within firstByteTimeout PT0.3S");
    }

    @Test
    void shouldRedactTheKeyWhenTheServerEchoesIt() {
        // Given
        LoopbackServer server = server((request, response) -> response.status(500)
                .sendString(Mono.just("echo: " + request.requestHeaders().get("Authorization"))));

        // When
        CallOutcome outcome = call(client(server), request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.STATUS,
                        500,
                        null,
                        "echo: Bearer [redacted]",
                        "the API answered HTTP 500 Internal Server Error, a transient failure"));
    }

    @Test
    void shouldRefuseAnAccountThatCannotBeAHeaderWithoutCalling() {
        // Given
        LoopbackServer server = server(LoopbackServer.respond(200, "application/json", "{}"));

        // When
        CallOutcome outcome = call(client(server), request("eve@example.com\r\nX-Evil: 1"));

        // Then
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        CallOutcome.PermanentFailure.class,
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
        assertThat(outcome)
                .isEqualTo(new CallOutcome.Success(
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
            assertThat(failure.message())
                    .startsWith("TLS with " + server.baseUrl() + " failed")
                    .contains("PKIX");
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
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        CallOutcome.RetriableFailure.class,
                        failure -> assertThat(failure.message())
                                .startsWith("TLS with " + server.baseUrl() + " failed")
                                .containsIgnoringCase("subject alternative"));
        assertThat(server.requestsReceived()).isZero();
    }

    @Test
    void shouldTimeOutAHandshakeThatNeverEndsWithinTheConnectTimeout() throws Exception {
        // Given: a port that accepts TCP connections (into its backlog) and never says a word of TLS
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String baseUrl = "https://127.0.0.1:" + silent.getLocalPort();
            ChatClient client = client(
                    baseUrl,
                    b -> b.connectTimeout(Duration.ofMillis(300))
                            .firstByteTimeout(Duration.ofSeconds(10))
                            .attemptTimeout(Duration.ofSeconds(20)));

            // When
            long start = System.nanoTime();
            CallOutcome outcome = call(client, request(null));
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

            // Then: a retriable timeout named after the handshake, long before the first-byte limit
            assertThat(outcome)
                    .isEqualTo(new CallOutcome.RetriableFailure(
                            CallOutcome.RetryCause.TIMEOUT,
                            null,
                            null,
                            null,
                            "timed out: no TLS handshake with " + baseUrl + " within connectTimeout PT0.3S"));
            assertThat(elapsed).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void shouldNameTheSettingAndTheFileButNotThePasswordWhenTheTruststoreDoesNotOpen() throws Exception {
        ChatClientConfig.TrustStore wrongPassword =
                new ChatClientConfig.TrustStore(trustStore().path(), "not-the-store-password", "PKCS12");

        assertThatThrownBy(() -> client("https://127.0.0.1:1", b -> b.trustStore(wrongPassword)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("chat.api.truststore.location=" + wrongPassword.path())
                .hasMessageContaining("chat.api.truststore.password")
                .message()
                .doesNotContain("not-the-store-password");
    }

    private LoopbackServer tlsServer(String keyStore) throws Exception {
        LoopbackServer server = LoopbackServer.startTls(
                LoopbackServer.respond(200, "application/json", "{\"text\":\"secure\"}"), keyStore);
        resources.add(server);
        return server;
    }

    private static ChatClientConfig.TrustStore trustStore() throws Exception {
        return new ChatClientConfig.TrustStore(
                Path.of(ChatClientTransportTest.class
                        .getResource("/tls/trust.p12")
                        .toURI()),
                "changeit",
                "PKCS12");
    }
}
