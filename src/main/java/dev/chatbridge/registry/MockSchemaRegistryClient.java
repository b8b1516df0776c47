package dev.chatbridge.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A client of an in-process {@link RegistryStore}: the same answers and error codes as the REST client gets from
 * {@link EmbeddedSchemaRegistry}, without HTTP. Thread-safe (the store locks itself).
 */
final class MockSchemaRegistryClient implements SchemaRegistryClient {

    private final String scope;
    private final RegistryStore store;
    private volatile boolean closed;

    MockSchemaRegistryClient(String scope, RegistryStore store) {
        this.scope = Objects.requireNonNull(scope, "scope");
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public int register(String subject, Schema schema) {
        checkOpen();
        return store.register(Objects.requireNonNull(subject, "subject"), copy(schema))
                .id();
    }

    @Override
    public int lookup(String subject, Schema schema) {
        checkOpen();
        return store.lookup(Objects.requireNonNull(subject, "subject"), copy(schema))
                .id();
    }

    @Override
    public Schema getById(int id) {
        checkOpen();
        return store.schemaById(id);
    }

    @Override
    public RegisteredSchema getLatest(String subject) {
        checkOpen();
        return store.latest(Objects.requireNonNull(subject, "subject"));
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "MockSchemaRegistryClient{scope=" + scope + "}";
    }

    /** What a real registry would keep: the schema's text parsed again, so callers cannot mutate the stored one. */
    private static Schema copy(Schema schema) {
        return RegistryStore.parse(Objects.requireNonNull(schema, "schema").toString());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This schema registry client is closed");
        }
    }
}
