package dev.chatbridge.registry;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * In-process registries for {@code schema.registry.url=mock://<scope>}: every client of the same scope in this JVM
 * shares one registry, as with Confluent's mock, so a test's serializer and deserializer agree on ids without a server.
 *
 * <p>This is deliberately JVM-wide state (that is what a scope means); tests isolate themselves with a unique scope or
 * {@link #drop(String)}. Thread-safe: the scope map is concurrent and each registry locks itself.
 */
public final class MockSchemaRegistry {

    private static final ConcurrentMap<String, RegistryStore> SCOPES = new ConcurrentHashMap<>();

    private MockSchemaRegistry() {}

    /** A client of the scope's registry, created empty on first use. */
    public static SchemaRegistryClient client(String scope) {
        return new MockSchemaRegistryClient(scope, store(scope));
    }

    /** Forgets the scope's registry: clients created afterwards start from an empty one. */
    public static void drop(String scope) {
        SCOPES.remove(Objects.requireNonNull(scope, "scope"));
    }

    static RegistryStore store(String scope) {
        return SCOPES.computeIfAbsent(Objects.requireNonNull(scope, "scope"), s -> new RegistryStore());
    }
}
