package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
                        b -> b.firstByteTimeout(Duration.ofMillis(400))
                                .attemptTimeout(Duration.ofMillis(800))
                                .connectTimeout(Duration.ofMillis(400))),
                request(null));

        // Then
        assertThat(outcome)
                .isEqualTo(new CallOutcome.RetriableFailure(
                        CallOutcome.RetryCause.TIMEOUT,
                        null,
                        null,
                        null,
                        "timed out: the attempt took longer than attemptTimeout PT0.8S"));
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
        // Given: one connection, one waiting call allowed
        LoopbackServer server = server(LoopbackServer.stall());
        ChatClient client = client(
                server,
                b -> b.maxInFlight(1)
                        .maxPendingAcquires(1)
                        .pendingAcquireTimeout(Duration.ofMillis(500))
                        .firstByteTimeout(Duration.ofSeconds(5)));
        Disposable first = client.call(request(null)).subscribe(outcomes::add);
        resources.add(first::dispose);
        server.takeRequest();
        Disposable second = client.call(request(null)).subscribe(outcomes::add);
        resources.add(second::dispose);

        // When
        CallOutcome third = call(client, request(null));

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
