package dev.chatbridge.registry;

import static dev.chatbridge.registry.TestSchemas.FAREWELL;
import static dev.chatbridge.registry.TestSchemas.GREETING_NO_DEFAULT;
import static dev.chatbridge.registry.TestSchemas.GREETING_V1;
import static dev.chatbridge.registry.TestSchemas.GREETING_V2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The REST client against the embedded registry over loopback HTTP: answers, errors and caching. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RestSchemaRegistryClientTest {

    private final List<SchemaRegistryClient> extraClients = new ArrayList<>();
    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient client;

    @BeforeEach
    void startRegistry() {
        registry = new EmbeddedSchemaRegistry(0).start();
        client = SchemaRegistryClients.create(configs(registry.url()));
    }

    @AfterEach
    void stopRegistry() {
        client.close();
        registry.close();
    }

    static Map<String, Object> configs(String url) {
        Map<String, Object> configs = new HashMap<>();
        configs.put(RegistryClientConfig.SCHEMA_REGISTRY_URL, url);
        configs.put(RegistryClientConfig.MAX_RETRIES, 1);
        configs.put(RegistryClientConfig.RETRIES_WAIT_MS, 10);
        configs.put(RegistryClientConfig.RETRIES_MAX_WAIT_MS, 50);
        configs.put(RegistryClientConfig.HTTP_CONNECT_TIMEOUT_MS, 2000);
        configs.put(RegistryClientConfig.HTTP_READ_TIMEOUT_MS, 2000);
        return configs;
    }

    @Test
    void shouldBeARestClientWhenTheUrlIsHttp() {
        assertThat(client).isInstanceOf(RestSchemaRegistryClient.class);
    }

    @Test
    void shouldFindByIdLookupAndLatestWhatWasRegistered() {
        // Given
        int id = client.register("greetings-value", GREETING_V1);

        // When / Then
        assertThat(client.lookup("greetings-value", GREETING_V1)).isEqualTo(id);
        assertThat(newClient().getById(id)).isEqualTo(GREETING_V1);
        RegisteredSchema latest = client.getLatest("greetings-value");
        assertThat(latest).isEqualTo(new RegisteredSchema("greetings-value", id, 1, GREETING_V1));
    }

    @Test
    void shouldAddAVersionWhenACompatibleSchemaIsRegistered() {
        // Given
        int first = client.register("greetings-value", GREETING_V1);

        // When
        int second = client.register("greetings-value", GREETING_V2);

        // Then
        assertThat(second).isNotEqualTo(first);
        assertThat(client.getLatest("greetings-value").version()).isEqualTo(2);
        assertThat(client.getLatest("greetings-value").schema()).isEqualTo(GREETING_V2);
    }

    @Test
    void shouldGiveTheSameIdInEverySubjectWhenTheSchemaIsTheSame() {
        // Given
        int inFirst = client.register("a-value", GREETING_V1);

        // When
        int inSecond = newClient().register("b-value", GREETING_V1);

        // Then
        assertThat(inSecond).isEqualTo(inFirst);
        assertThat(client.getLatest("b-value").version()).isEqualTo(1);
    }

    @Test
    void shouldReturnTheExistingIdWithoutANewVersionWhenRegisteringTheSameSchemaAgain() {
        // Given
        int first = client.register("greetings-value", GREETING_V1);

        // When: a second client, so the answer comes from the registry, not a cache
        int again = newClient().register("greetings-value", GREETING_V1);

        // Then
        assertThat(again).isEqualTo(first);
        assertThat(client.getLatest("greetings-value").version()).isEqualTo(1);
    }

    @Test
    void shouldFailWithSubjectNotFoundWhenTheSubjectIsUnknown() {
        SchemaRegistryException latest =
                catchThrowableOfType(SchemaRegistryException.class, () -> client.getLatest("nobody-value"));
        SchemaRegistryException lookup =
                catchThrowableOfType(SchemaRegistryException.class, () -> client.lookup("nobody-value", GREETING_V1));

        assertThat(latest.httpStatus()).isEqualTo(404);
        assertThat(latest.errorCode()).isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND);
        assertThat(latest).hasMessageContaining("nobody-value");
        assertThat(lookup.errorCode()).isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND);
    }

    @Test
    void shouldFailWithSchemaNotFoundWhenTheIdIsUnknownOrTheSchemaIsNotInTheSubject() {
        // Given
        client.register("greetings-value", GREETING_V1);

        // When
        SchemaRegistryException byId = catchThrowableOfType(SchemaRegistryException.class, () -> client.getById(999));
        SchemaRegistryException lookup =
                catchThrowableOfType(SchemaRegistryException.class, () -> client.lookup("greetings-value", FAREWELL));

        // Then
        assertThat(byId.httpStatus()).isEqualTo(404);
        assertThat(byId.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
        assertThat(lookup.httpStatus()).isEqualTo(404);
        assertThat(lookup.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
    }

    @Test
    void shouldRefuseAFieldWithoutDefaultUnderBackwardCompatibility() {
        // Given
        client.register("greetings-value", GREETING_V1);

        // When
        SchemaRegistryException refused = catchThrowableOfType(
                SchemaRegistryException.class, () -> client.register("greetings-value", GREETING_NO_DEFAULT));

        // Then
        assertThat(refused.httpStatus()).isEqualTo(409);
        assertThat(refused.errorCode()).isEqualTo(SchemaRegistryException.INCOMPATIBLE_SCHEMA);
        assertThat(refused)
                .hasMessageContaining("incompatible")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE")
                .hasMessageContaining("lang");
        assertThat(client.getLatest("greetings-value").version()).isEqualTo(1);
    }

    @Test
    void shouldFailWithInvalidSchemaWhenTheRegistryCannotParseIt() {
        Schema broken = TestSchemas.invalidDefault();

        SchemaRegistryException refused =
                catchThrowableOfType(SchemaRegistryException.class, () -> client.register("broken-value", broken));

        assertThat(refused.httpStatus()).isEqualTo(422);
        assertThat(refused.errorCode()).isEqualTo(SchemaRegistryException.INVALID_SCHEMA);
    }

    @Test
    void shouldNotRetryAClientError() {
        long before = registry.requestCount();

        catchThrowableOfType(SchemaRegistryException.class, () -> client.getLatest("nobody-value"));

        assertThat(registry.requestCount() - before).as("requests for one 404").isEqualTo(1);
    }

    @Test
    void shouldAnswerRepeatedGetByIdRegisterAndLookupFromTheCache() {
        // Given
        int id = client.register("greetings-value", GREETING_V1);
        SchemaRegistryClient reader = newClient();
        reader.getById(id);
        long before = registry.requestCount();

        // When
        Schema again = reader.getById(id);
        int registeredAgain = client.register("greetings-value", GREETING_V1);
        int lookedUp = client.lookup("greetings-value", GREETING_V1);
        Schema ownSchema = client.getById(id);

        // Then
        assertThat(registry.requestCount())
                .as("requests after the first answers")
                .isEqualTo(before);
        assertThat(again).isEqualTo(GREETING_V1);
        assertThat(registeredAgain).isEqualTo(id);
        assertThat(lookedUp).isEqualTo(id);
        assertThat(ownSchema).isEqualTo(GREETING_V1);
    }

    @Test
    void shouldAskTheRegistryEveryTimeForTheLatestVersion() {
        client.register("greetings-value", GREETING_V1);
        long before = registry.requestCount();

        client.getLatest("greetings-value");
        client.getLatest("greetings-value");

        assertThat(registry.requestCount() - before).isEqualTo(2);
    }

    @Test
    void shouldKeepEachCacheWithinItsBound() {
        // Given: room for one schema only
        Map<String, Object> configs = configs(registry.url());
        configs.put(RegistryClientConfig.MAX_SCHEMAS_PER_SUBJECT, 1);
        try (SchemaRegistryClient small = SchemaRegistryClients.create(configs)) {
            int greeting = small.register("a-value", GREETING_V1);
            small.register("b-value", FAREWELL);
            long before = registry.requestCount();

            // When: the first entry was evicted
            small.getById(greeting);
            small.register("a-value", GREETING_V1);

            // Then
            assertThat(registry.requestCount() - before).isEqualTo(2);
        }
    }

    @Test
    void shouldGiveEveryThreadTheSameIdWhenTheyRegisterAtOnce() throws Exception {
        // Given
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> ids = new ArrayList<>();

            // When
            for (int i = 0; i < 8; i++) {
                ids.add(threads.submit(() -> client.register("greetings-value", GREETING_V1)));
            }

            // Then
            Set<Integer> distinct = new HashSet<>();
            for (Future<Integer> id : ids) {
                distinct.add(id.get(10, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(1);
            assertThat(client.getLatest("greetings-value").version()).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void shouldEncodeSubjectsInThePath() {
        int id = client.register("odd subject/with ?#% chars", GREETING_V1);

        assertThat(newClient().getLatest("odd subject/with ?#% chars").id()).isEqualTo(id);
    }

    @Test
    void shouldRefuseCallsAfterClose() {
        client.close();

        assertThat(catchThrowableOfType(IllegalStateException.class, () -> client.getById(1)))
                .hasMessageContaining("closed");
    }

    private SchemaRegistryClient newClient() {
        SchemaRegistryClient other = SchemaRegistryClients.create(configs(registry.url()));
        extraClients.add(other);
        return other;
    }

    @AfterEach
    void closeExtraClients() {
        extraClients.forEach(SchemaRegistryClient::close);
    }
}
