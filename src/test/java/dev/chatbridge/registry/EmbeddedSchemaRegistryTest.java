package dev.chatbridge.registry;

import static dev.chatbridge.registry.TestSchemas.FAREWELL;
import static dev.chatbridge.registry.TestSchemas.GREETING_NO_DEFAULT;
import static dev.chatbridge.registry.TestSchemas.GREETING_V1;
import static dev.chatbridge.registry.TestSchemas.GREETING_V2;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded registry's REST API as curl or any Confluent client sees it, over loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EmbeddedSchemaRegistryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private EmbeddedSchemaRegistry registry;

    /** Status, content type and parsed body of one answer. */
    private record Reply(int status, String contentType, JsonNode body) {}

    @BeforeEach
    void start() {
        registry = new EmbeddedSchemaRegistry(0).start();
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void shouldListenOnLoopbackAtTheUrlItGives() {
        assertThat(registry.url()).isEqualTo("http://127.0.0.1:" + registry.port());
        assertThat(registry.port()).isPositive();
    }

    @Test
    void shouldRegisterAndServeSubjectsVersionsAndIdsWithConfluentShapes() throws Exception {
        // Given
        Reply registered = call("POST", "/subjects/greetings-value/versions", schemaBody(GREETING_V1));
        int id = registered.body().get("id").intValue();
        call("POST", "/subjects/greetings-value/versions", schemaBody(GREETING_V2));
        call("POST", "/subjects/other-value/versions", schemaBody(GREETING_V1));

        // When / Then
        assertThat(registered.status()).isEqualTo(200);
        assertThat(registered.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        assertThat(call("GET", "/subjects", null).body().toString()).isEqualTo("[\"greetings-value\",\"other-value\"]");
        assertThat(call("GET", "/subjects/greetings-value/versions", null)
                        .body()
                        .toString())
                .isEqualTo("[1,2]");
        JsonNode first =
                call("GET", "/subjects/greetings-value/versions/1", null).body();
        assertThat(first.get("subject").asText()).isEqualTo("greetings-value");
        assertThat(first.get("version").intValue()).isEqualTo(1);
        assertThat(first.get("id").intValue()).isEqualTo(id);
        assertThat(new Schema.Parser().parse(first.get("schema").asText())).isEqualTo(GREETING_V1);
        assertThat(call("GET", "/subjects/greetings-value/versions/latest", null)
                        .body()
                        .get("version")
                        .intValue())
                .isEqualTo(2);
        assertThat(call("GET", "/schemas/ids/" + id, null).body().get("schema").asText())
                .isEqualTo(GREETING_V1.toString());
        assertThat(call("GET", "/schemas/ids/" + id + "/subjects", null).body().toString())
                .isEqualTo("[\"greetings-value\",\"other-value\"]");
        JsonNode lookedUp = call("POST", "/subjects/greetings-value", schemaBody(GREETING_V1))
                .body();
        assertThat(lookedUp.get("id").intValue()).isEqualTo(id);
        assertThat(lookedUp.get("version").intValue()).isEqualTo(1);
    }

    @Test
    void shouldAnswerConfluentErrorCodes() throws Exception {
        call("POST", "/subjects/greetings-value/versions", schemaBody(GREETING_V1));

        assertError(call("GET", "/subjects/nobody/versions", null), 404, 40401);
        assertError(call("GET", "/subjects/greetings-value/versions/7", null), 404, 40402);
        assertError(call("GET", "/subjects/greetings-value/versions/zero", null), 422, 42202);
        assertError(call("GET", "/schemas/ids/42", null), 404, 40403);
        assertError(call("POST", "/subjects/greetings-value", schemaBody(FAREWELL)), 404, 40403);
        assertError(call("POST", "/subjects/greetings-value/versions", schemaBody(GREETING_NO_DEFAULT)), 409, 409);
        assertError(
                call("POST", "/subjects/x/versions", "{\"schema\":\"{\\\"type\\\":\\\"nonsense\\\"}\"}"), 422, 42201);
        assertError(call("POST", "/subjects/x/versions", "{\"schema\":\"\"}"), 422, 42201);
        assertError(
                call("POST", "/subjects/x/versions", "{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"PROTOBUF\"}"),
                422,
                42201);
        assertError(call("POST", "/subjects/x/versions", "{not json"), 400, 400);
        assertError(call("PUT", "/config", "{\"compatibility\":\"SOMETIMES\"}"), 422, 42203);
        assertError(call("GET", "/config/greetings-value", null), 404, 40408);
        assertError(call("GET", "/nowhere", null), 404, 404);
        assertError(call("PUT", "/subjects", "{}"), 405, 405);
    }

    @Test
    void shouldAcceptConfluentContentTypesAndRefuseOthers() throws Exception {
        for (String type : new String[] {
            "application/vnd.schemaregistry.v1+json",
            "application/vnd.schemaregistry+json",
            "application/json; charset=utf-8",
            "application/octet-stream"
        }) {
            assertThat(call("POST", "/subjects/s/versions", schemaBody(GREETING_V1), type)
                            .status())
                    .as(type)
                    .isEqualTo(200);
        }
        assertError(call("POST", "/subjects/s/versions", schemaBody(GREETING_V1), "text/plain"), 415, 415);
    }

    @Test
    void shouldFollowTheConfiguredCompatibilityLevel() throws Exception {
        // Given
        call("POST", "/subjects/greetings-value/versions", schemaBody(GREETING_V1));
        assertThat(call("GET", "/config", null).body().get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");
        assertThat(call(
                                "POST",
                                "/compatibility/subjects/greetings-value/versions/latest",
                                schemaBody(GREETING_NO_DEFAULT))
                        .body()
                        .get("is_compatible")
                        .booleanValue())
                .isFalse();

        // When
        Reply put = call("PUT", "/config/greetings-value", "{\"compatibility\":\"none\"}");

        // Then
        assertThat(put.body().get("compatibility").asText()).isEqualTo("NONE");
        assertThat(call("GET", "/config/greetings-value", null)
                        .body()
                        .get("compatibilityLevel")
                        .asText())
                .isEqualTo("NONE");
        assertThat(call(
                                "POST",
                                "/compatibility/subjects/greetings-value/versions/latest",
                                schemaBody(GREETING_NO_DEFAULT))
                        .body()
                        .get("is_compatible")
                        .booleanValue())
                .isTrue();
        assertThat(call("POST", "/subjects/greetings-value/versions", schemaBody(GREETING_NO_DEFAULT))
                        .status())
                .isEqualTo(200);
        assertThat(call("GET", "/config", null).body().get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");
    }

    @Test
    void shouldCheckForwardAndFullAgainstTheLatestVersion() throws Exception {
        // Given: FORWARD means the old schema must read data written with the new one
        call("PUT", "/config", "{\"compatibility\":\"FORWARD\"}");
        call("POST", "/subjects/s/versions", schemaBody(GREETING_V2));

        // When / Then: dropping lang is forward compatible (old reader has a default for it)
        assertThat(call("POST", "/subjects/s/versions", schemaBody(GREETING_V1)).status())
                .isEqualTo(200);
        call("PUT", "/config", "{\"compatibility\":\"FULL\"}");
        assertThat(call("POST", "/compatibility/subjects/s/versions/latest", schemaBody(GREETING_NO_DEFAULT))
                        .body()
                        .get("is_compatible")
                        .booleanValue())
                .isFalse();
        assertThat(call("POST", "/compatibility/subjects/new-subject/versions/latest", schemaBody(GREETING_NO_DEFAULT))
                        .body()
                        .get("is_compatible")
                        .booleanValue())
                .isTrue();
    }

    @Test
    void shouldDeleteASubjectButKeepItsIds() throws Exception {
        int id = call("POST", "/subjects/s/versions", schemaBody(GREETING_V1))
                .body()
                .get("id")
                .intValue();

        Reply deleted = call("DELETE", "/subjects/s", null);

        assertThat(deleted.body().toString()).isEqualTo("[1]");
        assertError(call("GET", "/subjects/s/versions/latest", null), 404, 40401);
        assertThat(call("GET", "/schemas/ids/" + id, null).status()).isEqualTo(200);
        assertThat(call("POST", "/subjects/s/versions", schemaBody(GREETING_V1))
                        .body()
                        .get("id")
                        .intValue())
                .isEqualTo(id);
    }

    @Test
    void shouldRefuseABodyAboveTheLimit() throws Exception {
        String huge = "{\"schema\":\"" + "x".repeat(EmbeddedSchemaRegistry.MAX_BODY_BYTES) + "\"}";

        assertError(call("POST", "/subjects/s/versions", huge), 413, 413);
    }

    @Test
    void shouldRequireTheConfiguredCredentials() throws Exception {
        try (EmbeddedSchemaRegistry secured = new EmbeddedSchemaRegistry(0, "svc", "pw").start()) {
            HttpRequest anonymous = HttpRequest.newBuilder(URI.create(secured.url() + "/subjects"))
                    .timeout(Duration.ofSeconds(5))
                    .build();
            HttpRequest wrong = HttpRequest.newBuilder(URI.create(secured.url() + "/subjects"))
                    .timeout(Duration.ofSeconds(5))
                    .header("Authorization", "Basic c3ZjOm5vcGU=")
                    .build();
            HttpRequest right = HttpRequest.newBuilder(URI.create(secured.url() + "/subjects"))
                    .timeout(Duration.ofSeconds(5))
                    .header("Authorization", "Basic c3ZjOnB3")
                    .build();

            assertError(send(anonymous), 401, 401);
            assertError(send(wrong), 401, 401);
            assertThat(send(right).status()).isEqualTo(200);
        }
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private Reply call(String method, String path, String body) throws IOException, InterruptedException {
        return call(method, path, body, "application/vnd.schemaregistry.v1+json");
    }

    private Reply call(String method, String path, String body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(registry.url() + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", contentType)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return send(request);
    }

    private Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(
                response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(""),
                JSON.readTree(response.body()));
    }

    private static void assertError(Reply reply, int status, int code) {
        assertThat(reply.status()).as("status of %s", reply.body()).isEqualTo(status);
        assertThat(reply.body().get("error_code").intValue())
                .as("error_code of %s", reply.body())
                .isEqualTo(code);
        assertThat(reply.body().get("message").asText()).isNotBlank();
    }
}
