package dev.chatbridge.registry;

import static dev.chatbridge.registry.TestSchemas.GREETING_V1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The REST client when registries fail: retries, failover, time bounds, auth; all over loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryResilienceTest {

    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    @Test
    void shouldGiveUpWithinBoundedTimeAndNameTheUrlWhenNothingListens() throws IOException {
        // Given
        int closedPort = closedPort();
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs("http://127.0.0.1:" + closedPort);
        configs.put(RegistryClientConfig.MAX_RETRIES, 3);
        SchemaRegistryClient client = track(SchemaRegistryClients.create(configs));

        // When
        long start = System.nanoTime();
        SchemaRegistryException failure = catchThrowableOfType(SchemaRegistryException.class, () -> client.getById(1));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        // Then
        assertThat(elapsed).as("time to give up").isLessThan(Duration.ofSeconds(10));
        assertThat(failure.errorCode()).isEqualTo(SchemaRegistryException.NO_ERROR_CODE);
        assertThat(failure.httpStatus()).isZero();
        assertThat(failure)
                .hasMessageContaining("127.0.0.1:" + closedPort)
                .hasMessageContaining("4 attempts")
                .hasMessageContaining(RegistryClientConfig.SCHEMA_REGISTRY_URL);
    }

    @Test
    void shouldGiveUpWithinBoundedTimeWhenTheRegistryNeverAnswers() {
        // Given: a server that accepts requests and never answers
        AtomicInteger requests = new AtomicInteger();
        DisposableServer silent = track(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> {
                    requests.incrementAndGet();
                    return Mono.never();
                })
                .bindNow(Duration.ofSeconds(10)));
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs(url(silent));
        configs.put(RegistryClientConfig.HTTP_READ_TIMEOUT_MS, 300);
        SchemaRegistryClient client = track(SchemaRegistryClients.create(configs));

        // When
        long start = System.nanoTime();
        SchemaRegistryException failure =
                catchThrowableOfType(SchemaRegistryException.class, () -> client.getLatest("s"));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        // Then
        assertThat(elapsed).as("time to give up").isLessThan(Duration.ofSeconds(5));
        assertThat(requests).as("attempts").hasValue(2);
        assertThat(failure.errorCode()).isEqualTo(SchemaRegistryException.NO_ERROR_CODE);
        assertThat(failure).hasMessageContaining("2 attempts");
    }

    @Test
    void shouldRetryAServerErrorAndReturnTheLaterAnswer() {
        // Given: a registry that fails the first request only
        AtomicInteger requests = new AtomicInteger();
        DisposableServer flaky = track(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> requests.incrementAndGet() == 1
                        ? response.status(500)
                                .sendString(Mono.just("{\"error_code\":50001,\"message\":\"store unavailable\"}"))
                        : response.status(200).sendString(Mono.just("{\"id\":7}")))
                .bindNow(Duration.ofSeconds(10)));
        SchemaRegistryClient client =
                track(SchemaRegistryClients.create(RestSchemaRegistryClientTest.configs(url(flaky))));

        // When
        int id = client.register("greetings-value", GREETING_V1);

        // Then
        assertThat(id).isEqualTo(7);
        assertThat(requests).hasValue(2);
    }

    @Test
    void shouldWaitTheBackoffBeforeTheRetryWithoutSleepingInTheCallingThread() throws Exception {
        // Given: a registry that fails the first request only, and a 400 ms wait before the retry
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        DisposableServer flaky = track(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> {
                    arrivals.add(System.nanoTime());
                    return arrivals.size() == 1
                            ? response.status(503).sendString(Mono.just("{\"error_code\":50003,\"message\":\"busy\"}"))
                            : response.status(200).sendString(Mono.just("{\"id\":7}"));
                })
                .bindNow(Duration.ofSeconds(10)));
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs(url(flaky));
        configs.put(RegistryClientConfig.RETRIES_WAIT_MS, 400);
        configs.put(RegistryClientConfig.RETRIES_MAX_WAIT_MS, 400);
        SchemaRegistryClient client = track(SchemaRegistryClients.create(configs));
        AtomicInteger id = new AtomicInteger();
        Thread caller = new Thread(() -> id.set(client.register("greetings-value", GREETING_V1)), "registry-caller");

        // When: the calling thread's stack is sampled from the first request until the retry
        caller.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> arrivals.size() >= 1);
        List<String> sampled = new CopyOnWriteArrayList<>();
        while (arrivals.size() < 2 && caller.isAlive()) {
            for (StackTraceElement frame : caller.getStackTrace()) {
                sampled.add(frame.getClassName() + "." + frame.getMethodName());
            }
            Thread.onSpinWait();
        }
        caller.join(10_000);

        // Then: the retry came after the backoff, and the caller never slept for it
        assertThat(id).hasValue(7);
        assertThat(arrivals).hasSize(2);
        assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(sampled).isNotEmpty().doesNotContain("java.lang.Thread.sleep", "java.lang.Thread.sleep0");
    }

    @Test
    void shouldReportTheLastServerErrorWhenEveryAttemptFails() {
        // Given
        AtomicInteger requests = new AtomicInteger();
        DisposableServer broken = track(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> {
                    requests.incrementAndGet();
                    return response.status(503)
                            .sendString(Mono.just("{\"error_code\":50003,\"message\":\"forwarding failed\"}"));
                })
                .bindNow(Duration.ofSeconds(10)));
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs(url(broken));
        configs.put(RegistryClientConfig.MAX_RETRIES, 2);
        SchemaRegistryClient client = track(SchemaRegistryClients.create(configs));

        // When
        SchemaRegistryException failure = catchThrowableOfType(SchemaRegistryException.class, () -> client.getById(3));

        // Then
        assertThat(requests).as("attempts").hasValue(3);
        assertThat(failure.httpStatus()).isEqualTo(503);
        assertThat(failure.errorCode()).isEqualTo(50003);
        assertThat(failure).hasMessageContaining("forwarding failed");
    }

    @Test
    void shouldFailOverToTheNextUrlWhenTheFirstIsUnreachable() throws IOException {
        // Given
        EmbeddedSchemaRegistry registry = track(new EmbeddedSchemaRegistry(0).start());
        String urls = "http://127.0.0.1:" + closedPort() + "," + registry.url();
        SchemaRegistryClient client = track(SchemaRegistryClients.create(RestSchemaRegistryClientTest.configs(urls)));

        // When
        int id = client.register("greetings-value", GREETING_V1);

        // Then: registered in the second registry, which answers later calls first
        assertThat(client.getLatest("greetings-value").id()).isEqualTo(id);
        assertThat(registry.requestCount()).isEqualTo(2);
    }

    @Test
    void shouldAnswerUnauthorizedWithoutShowingThePassword() {
        // Given
        EmbeddedSchemaRegistry registry = track(new EmbeddedSchemaRegistry(0, "svc", "right-secret").start());
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs(registry.url());
        configs.put(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
        configs.put(RegistryClientConfig.BASIC_AUTH_USER_INFO, "svc:wrong-secret");
        SchemaRegistryClient client = track(SchemaRegistryClients.create(configs));

        // When
        SchemaRegistryException refused = catchThrowableOfType(
                SchemaRegistryException.class, () -> client.register("greetings-value", GREETING_V1));

        // Then
        assertThat(refused.httpStatus()).isEqualTo(401);
        assertThat(refused.errorCode()).isEqualTo(401);
        assertThat(refused.getMessage())
                .doesNotContain("wrong-secret")
                .doesNotContain("right-secret")
                .contains(RegistryClientConfig.BASIC_AUTH_USER_INFO);
        assertThat(registry.requestCount()).as("401 is not retried").isEqualTo(1);
    }

    @Test
    void shouldPassWithTheRightCredentialsFromUserInfoOrUrl() {
        // Given
        EmbeddedSchemaRegistry registry = track(new EmbeddedSchemaRegistry(0, "svc", "p@ss:word").start());
        Map<String, Object> userInfo = RestSchemaRegistryClientTest.configs(registry.url());
        userInfo.put(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
        userInfo.put(RegistryClientConfig.BASIC_AUTH_USER_INFO, "svc:p@ss:word");
        Map<String, Object> inUrl =
                RestSchemaRegistryClientTest.configs("http://svc:p%40ss%3Aword@127.0.0.1:" + registry.port());

        // When
        int id = track(SchemaRegistryClients.create(userInfo)).register("greetings-value", GREETING_V1);
        SchemaRegistryClient urlClient = track(SchemaRegistryClients.create(inUrl));

        // Then
        assertThat(urlClient.getById(id)).isEqualTo(GREETING_V1);
        assertThat(urlClient.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
    }

    @Test
    void shouldSendTheBearerToken() {
        // Given
        List<String> authorizations = new CopyOnWriteArrayList<>();
        DisposableServer server = track(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> {
                    authorizations.add(String.valueOf(request.requestHeaders().get("Authorization")));
                    return response.status(200)
                            .sendString(Mono.just("{\"schema\":" + quoted(GREETING_V1.toString()) + "}"));
                })
                .bindNow(Duration.ofSeconds(10)));
        Map<String, Object> configs = RestSchemaRegistryClientTest.configs(url(server));
        configs.put(RegistryClientConfig.BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN");
        configs.put(RegistryClientConfig.BEARER_AUTH_TOKEN, "tok-123");
        SchemaRegistryClient client = track(SchemaRegistryClients.create(configs));

        // When
        client.getById(5);

        // Then
        assertThat(authorizations).containsExactly("Bearer tok-123");
    }

    @Test
    void shouldSendConfluentHeadersAndBody() {
        // Given
        List<String> seen = new CopyOnWriteArrayList<>();
        DisposableServer server = track(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> request.receive()
                        .aggregate()
                        .asString()
                        .defaultIfEmpty("")
                        .flatMap(body -> {
                            seen.add(request.method() + " " + request.uri());
                            seen.add(request.requestHeaders().get("Content-Type"));
                            seen.add(request.requestHeaders().get("Accept"));
                            seen.add(body);
                            return response.status(200)
                                    .sendString(Mono.just("{\"id\":11}"))
                                    .then();
                        }))
                .bindNow(Duration.ofSeconds(10)));
        SchemaRegistryClient client =
                track(SchemaRegistryClients.create(RestSchemaRegistryClientTest.configs(url(server))));

        // When
        client.register("chat requests", GREETING_V1);

        // Then
        assertThat(seen)
                .containsExactly(
                        "POST /subjects/chat%20requests/versions",
                        "application/vnd.schemaregistry.v1+json",
                        "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json",
                        "{\"schema\":" + quoted(GREETING_V1.toString()) + "}");
    }

    private static String quoted(String text) {
        return TextNode.valueOf(text).toString();
    }

    private static String url(DisposableServer server) {
        return "http://127.0.0.1:" + server.port();
    }

    /** A loopback port nothing listens on: bound then released. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private <T extends AutoCloseable> T track(T closeable) {
        toClose.add(closeable);
        return closeable;
    }

    private DisposableServer track(DisposableServer server) {
        toClose.add(() -> server.disposeNow(Duration.ofSeconds(5)));
        return server;
    }
}
