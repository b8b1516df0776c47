package dev.chatbridge.registry;

import org.apache.avro.Schema;

/**
 * The subset of the Confluent Schema Registry REST API that chat-bridge's serde needs.
 *
 * <p>Implementations cache what the registry answered (ids and schemas never change once assigned), are safe for
 * concurrent use by several stream threads, and bound every call in time: a call either answers or throws
 * {@link SchemaRegistryException}, it never hangs.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** {@code POST /subjects/{subject}/versions}: registers the schema (or finds it) and returns its global id. */
    int register(String subject, Schema schema);

    /** {@code POST /subjects/{subject}}: the id of a schema already registered under the subject. */
    int lookup(String subject, Schema schema);

    /** {@code GET /schemas/ids/{id}}: the schema with that global id. */
    Schema getById(int id);

    /** {@code GET /subjects/{subject}/versions/latest}: the newest version registered under the subject. */
    RegisteredSchema getLatest(String subject);

    /**
     * Whether the registry is thought reachable: false while a client fails calls at once after an outage (a health
     * signal; calls for cached schemas still answer). Cheap, never blocks.
     */
    default boolean available() {
        return true;
    }

    /** Releases connections; the client is unusable afterwards. */
    @Override
    void close();
}
