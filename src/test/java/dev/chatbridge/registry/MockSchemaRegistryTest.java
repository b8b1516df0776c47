package dev.chatbridge.registry;

import static dev.chatbridge.registry.TestSchemas.FAREWELL;
import static dev.chatbridge.registry.TestSchemas.GREETING_NO_DEFAULT;
import static dev.chatbridge.registry.TestSchemas.GREETING_V1;
import static dev.chatbridge.registry.TestSchemas.GREETING_V2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mock:// client: shared per scope, and the same answers and error codes as the HTTP registry. */
class MockSchemaRegistryTest {

    private final String scope = "test-" + UUID.randomUUID();

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.drop(scope);
    }

    private SchemaRegistryClient client() {
        return SchemaRegistryClients.create(Map.of(RegistryClientConfig.SCHEMA_REGISTRY_URL, "mock://" + scope));
    }

    @Test
    void shouldShareOneRegistryBetweenClientsOfTheSameScope() {
        // Given
        int id = client().register("greetings-value", GREETING_V1);

        // When / Then
        SchemaRegistryClient other = client();
        assertThat(other).isNotInstanceOf(RestSchemaRegistryClient.class);
        assertThat(other.getById(id)).isEqualTo(GREETING_V1);
        assertThat(other.lookup("greetings-value", GREETING_V1)).isEqualTo(id);
        assertThat(other.getLatest("greetings-value"))
                .isEqualTo(new RegisteredSchema("greetings-value", id, 1, GREETING_V1));
    }

    @Test
    void shouldKeepScopesApart() {
        int id = client().register("greetings-value", GREETING_V1);

        SchemaRegistryClient elsewhere = MockSchemaRegistry.client(scope + "-other");
        try {
            assertThat(catchThrowableOfType(SchemaRegistryException.class, () -> elsewhere.getById(id))
                            .errorCode())
                    .isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
        } finally {
            MockSchemaRegistry.drop(scope + "-other");
        }
    }

    @Test
    void shouldForgetEverythingWhenTheScopeIsDropped() {
        client().register("greetings-value", GREETING_V1);

        MockSchemaRegistry.drop(scope);

        assertThat(catchThrowableOfType(SchemaRegistryException.class, () -> client().getLatest("greetings-value"))
                        .errorCode())
                .isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND);
    }

    @Test
    void shouldGiveGlobalIdsAndIdempotentRegistrationLikeTheServer() {
        SchemaRegistryClient client = client();
        int first = client.register("a-value", GREETING_V1);

        assertThat(client.register("b-value", GREETING_V1)).isEqualTo(first);
        assertThat(client.register("a-value", GREETING_V1)).isEqualTo(first);
        assertThat(client.register("a-value", GREETING_V2)).isNotEqualTo(first);
        assertThat(client.getLatest("a-value").version()).isEqualTo(2);
    }

    @Test
    void shouldFailWithTheServersErrorCodes() {
        SchemaRegistryClient client = client();
        client.register("greetings-value", GREETING_V1);

        assertCode(() -> client.getLatest("nobody-value"), 404, SchemaRegistryException.SUBJECT_NOT_FOUND);
        assertCode(() -> client.lookup("nobody-value", GREETING_V1), 404, SchemaRegistryException.SUBJECT_NOT_FOUND);
        assertCode(() -> client.lookup("greetings-value", FAREWELL), 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        assertCode(() -> client.getById(999), 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        assertCode(
                () -> client.register("greetings-value", GREETING_NO_DEFAULT),
                409,
                SchemaRegistryException.INCOMPATIBLE_SCHEMA);
        assertCode(
                () -> client.register("broken-value", TestSchemas.invalidDefault()),
                422,
                SchemaRegistryException.INVALID_SCHEMA);
        assertCode(
                () -> MockSchemaRegistry.store(scope).version("greetings-value", 2),
                404,
                SchemaRegistryException.VERSION_NOT_FOUND);
    }

    private static void assertCode(Runnable call, int status, int code) {
        SchemaRegistryException failure = catchThrowableOfType(SchemaRegistryException.class, call::run);
        assertThat(failure)
                .as("expected a registry error %d / %d", status, code)
                .isNotNull();
        assertThat(failure.httpStatus()).isEqualTo(status);
        assertThat(failure.errorCode()).isEqualTo(code);
    }
}
