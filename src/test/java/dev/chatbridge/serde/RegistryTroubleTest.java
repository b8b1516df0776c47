package dev.chatbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.registry.RegistryClientConfig;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The deserializer against a loopback registry that misbehaves: which failures wait ({@code REGISTRY_UNAVAILABLE}),
 * which give the record up, and how many registry calls they cost.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryTroubleTest {

    private static final String TOPIC = "chat-requests";
    private static final byte[] BODY = AvroDecodingLimitsTest.validBody(false);

    /** What the registry answers: status and body. */
    private record Reply(int status, String body) {}

    private final AtomicReference<Reply> reply = new AtomicReference<>();
    private final AtomicInteger calls = new AtomicInteger();
    private DisposableServer server;
    private final List<SchemaRegistryClient> clients = new ArrayList<>();

    @BeforeEach
    void startRegistry() {
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> {
                    calls.incrementAndGet();
                    Reply answer = reply.get();
                    return response.status(answer.status()).sendString(Mono.just(answer.body()));
                })
                .bindNow(Duration.ofSeconds(10));
    }

    @AfterEach
    void stopRegistry() {
        clients.forEach(SchemaRegistryClient::close);
        server.disposeNow(Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403, 408, 429, 500, 502, 503, 504})
    void shouldWaitWhenTheRegistryRefusesOrFails(int status) {
        reply.set(new Reply(status, "{\"error_code\":" + status + ",\"message\":\"nope\"}"));

        SerdeException failure = decodeFailure(deserializer(client(Map.of())), 1);

        assertThat(failure.kind()).isEqualTo(SerdeException.Kind.REGISTRY_UNAVAILABLE);
        assertThat(failure).hasMessageContaining("schema id 1").hasMessageContaining(String.valueOf(status));
    }

    @Test
    void shouldWaitWhenNothingAnswers() {
        server.disposeNow(Duration.ofSeconds(5));

        SerdeException failure = decodeFailure(deserializer(client(Map.of())), 1);

        assertThat(failure.kind()).isEqualTo(SerdeException.Kind.REGISTRY_UNAVAILABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"error_code\":40403,\"message\":\"Schema not found\"}", "not json at all"})
    void shouldRememberAnUnknownIdAndNotAskAgainForTheSameId(String notFoundBody) {
        // Given
        reply.set(new Reply(404, notFoundBody));
        AvroDeserializer<ChatRequest> deserializer = deserializer(client(Map.of()));

        // When: a thousand records carry the same unknown id
        List<SerdeException> failures = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            failures.add(decodeFailure(deserializer, 42));
        }

        // Then
        assertThat(failures).extracting(SerdeException::kind).containsOnly(SerdeException.Kind.UNKNOWN_SCHEMA_ID);
        assertThat(failures.get(1))
                .hasMessageContaining("42")
                .hasMessageContaining(RegistryClientConfig.UNKNOWN_ID_TTL_MS);
        assertThat(calls).as("registry calls").hasValue(1);
    }

    @Test
    void shouldAskAgainOnceTheUnknownIdIsForgotten() {
        reply.set(new Reply(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}"));
        AvroDeserializer<ChatRequest> deserializer =
                deserializer(client(Map.of(RegistryClientConfig.UNKNOWN_ID_TTL_MS, 100)));
        decodeFailure(deserializer, 42);
        reply.set(new Reply(200, schemaAnswer()));

        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> decodes(deserializer, 42));

        assertThat(calls).hasValue(2);
    }

    @Test
    void shouldBoundTheRateOfLookupsForDistinctUnknownIds() {
        // Given: 10 lookups a second
        reply.set(new Reply(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}"));
        AvroDeserializer<ChatRequest> deserializer =
                deserializer(client(Map.of(RegistryClientConfig.ID_LOOKUPS_PER_SECOND, 10)));

        // When: 25 records with distinct bogus ids, as fast as they come
        long start = System.nanoTime();
        Map<SerdeException.Kind, Integer> kinds = new EnumMap<>(SerdeException.Kind.class);
        for (int id = 1000; id < 1025; id++) {
            kinds.merge(decodeFailure(deserializer, id).kind(), 1, Integer::sum);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        // Then: at most the burst plus the rate over the time taken reach the registry; one thread
        // alone waits its turn (at most 100 ms each), so it is not rejected
        assertThat(calls.get())
                .as("registry calls in %.1f s", seconds)
                .isLessThanOrEqualTo(10 + (int) Math.ceil(seconds * 10) + 1);
        assertThat(seconds).as("time for the lookups beyond the burst").isGreaterThan(1.2);
        assertThat(kinds).containsOnlyKeys(SerdeException.Kind.UNKNOWN_SCHEMA_ID);
        assertThat(calls).hasValue(25);
    }

    @Test
    void shouldGiveUpOnlyThatRecordWhenTheSchemaAnswerIsTooLarge() {
        reply.set(new Reply(200, "{\"schema\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}"));

        SerdeException failure = decodeFailure(deserializer(client(Map.of())), 5);

        assertThat(failure.kind()).isEqualTo(SerdeException.Kind.SCHEMA_TOO_LARGE);
        assertThat(failure).hasMessageContaining("schema id 5").hasMessageContaining("more than 1048576 bytes");
    }

    @Test
    void shouldStillWaitWhenAnErrorAnswerIsTooLarge() {
        reply.set(new Reply(503, "<html>" + "x".repeat(2 * 1024 * 1024) + "</html>"));

        SerdeException failure = decodeFailure(deserializer(client(Map.of())), 5);

        assertThat(failure.kind()).isEqualTo(SerdeException.Kind.REGISTRY_UNAVAILABLE);
        assertThat(failure).hasMessageContaining("503");
    }

    @Test
    void shouldFailFastDuringAnOutageAndProbeAfterTheBackoff() {
        // Given: a registry that fails, and a client whose outage backoff is 300 ms
        reply.set(new Reply(503, "{\"error_code\":50003,\"message\":\"down\"}"));
        SchemaRegistryClient client = client(
                Map.of(RegistryClientConfig.OUTAGE_BACKOFF_MS, 300, RegistryClientConfig.OUTAGE_BACKOFF_MAX_MS, 300));
        AvroDeserializer<ChatRequest> deserializer = deserializer(client);
        assertThat(decodeFailure(deserializer, 1).kind()).isEqualTo(SerdeException.Kind.REGISTRY_UNAVAILABLE);
        int callsInFirst = calls.get();

        // When: more records with uncached ids come during the backoff
        long start = System.nanoTime();
        List<SerdeException> fast = new ArrayList<>();
        for (int id = 2; id < 50; id++) {
            fast.add(decodeFailure(deserializer, id));
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        boolean availableDuringOutage = client.available();

        // Then: they fail at once as unavailable, without calling the registry
        assertThat(fast).extracting(SerdeException::kind).containsOnly(SerdeException.Kind.REGISTRY_UNAVAILABLE);
        assertThat(fast.get(0)).hasMessageContaining("fails at once");
        assertThat(calls).hasValue(callsInFirst);
        assertThat(elapsed).isLessThan(Duration.ofMillis(250));
        assertThat(availableDuringOutage).isFalse();

        // And when the registry is back, the probe after the backoff goes through and closes the gate
        reply.set(new Reply(200, schemaAnswer()));
        await().atMost(Duration.ofSeconds(5)).until(client::available);
        assertThat(decodes(deserializer, 60)).isTrue();
        assertThat(decodes(deserializer, 61)).isTrue();
        assertThat(calls).hasValue(callsInFirst + 2);
    }

    @Test
    void shouldBoundOneCallByTheCallTimeoutWhateverTheRetries() {
        // Given: retries that would take 3 x 2 s of backoff, but a call timeout of 1 s
        server.disposeNow(Duration.ofSeconds(5));
        Map<String, Object> settings = new HashMap<>();
        settings.put(RegistryClientConfig.MAX_RETRIES, 3);
        settings.put(RegistryClientConfig.RETRIES_WAIT_MS, 2000);
        settings.put(RegistryClientConfig.RETRIES_MAX_WAIT_MS, 2000);
        settings.put(RegistryClientConfig.CALL_TIMEOUT_MS, 1000);
        AvroDeserializer<ChatRequest> deserializer = deserializer(client(settings));

        long start = System.nanoTime();
        SerdeException failure = decodeFailure(deserializer, 1);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertThat(failure.kind()).isEqualTo(SerdeException.Kind.REGISTRY_UNAVAILABLE);
        assertThat(failure).hasMessageContaining(RegistryClientConfig.CALL_TIMEOUT_MS);
        assertThat(elapsed).isLessThan(Duration.ofMillis(1500));
    }

    private SchemaRegistryClient client(Map<String, Object> extra) {
        Map<String, Object> configs = new HashMap<>();
        configs.put(RegistryClientConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:" + server.port());
        configs.put(RegistryClientConfig.MAX_RETRIES, 0);
        configs.put(RegistryClientConfig.HTTP_CONNECT_TIMEOUT_MS, 1000);
        configs.put(RegistryClientConfig.HTTP_READ_TIMEOUT_MS, 2000);
        configs.putAll(extra);
        SchemaRegistryClient client = SchemaRegistryClients.create(configs);
        clients.add(client);
        return client;
    }

    private static AvroDeserializer<ChatRequest> deserializer(SchemaRegistryClient client) {
        return new AvroDeserializer<>(ChatRequest.class, client);
    }

    private static SerdeException decodeFailure(AvroDeserializer<ChatRequest> deserializer, int id) {
        return catchThrowableOfType(
                SerdeException.class, () -> deserializer.deserialize(TOPIC, AvroDecodingLimitsTest.framed(id, BODY)));
    }

    private static boolean decodes(AvroDeserializer<ChatRequest> deserializer, int id) {
        try {
            return deserializer.deserialize(TOPIC, AvroDecodingLimitsTest.framed(id, BODY)) != null;
        } catch (SerdeException e) {
            return false;
        }
    }

    private static String schemaAnswer() {
        return new ObjectMapper()
                .createObjectNode()
                .put("schema", ChatRequest.getClassSchema().toString())
                .toString();
    }
}
