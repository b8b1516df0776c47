package dev.chatbridge.registry;

import java.util.Map;

/**
 * Creates the registry client that Kafka-style configs ask for: the mock for {@code mock://<scope>}, REST otherwise.
 */
public final class SchemaRegistryClients {

    private SchemaRegistryClients() {}

    /**
     * A client for {@code schema.registry.url} and the other keys of {@link RegistryClientConfig}; throws
     * {@link dev.chatbridge.config.InvalidConfigurationException} naming the key when one is bad.
     */
    public static SchemaRegistryClient create(Map<String, ?> configs) {
        return create(RegistryClientConfig.from(configs));
    }

    /** A client for already parsed settings. */
    public static SchemaRegistryClient create(RegistryClientConfig config) {
        return config.mockScope()
                .<SchemaRegistryClient>map(MockSchemaRegistry::client)
                .orElseGet(() -> new RestSchemaRegistryClient(config));
    }
}
