package dev.chatbridge.serde;

import dev.chatbridge.registry.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Builds Confluent-wire-format Avro serdes for generated record classes. */
public final class AvroSerdes {

    private AvroSerdes() {}

    /**
     * A serde for values (or keys) of the class that shares the given registry client; the serde does not close the
     * client.
     */
    public static <T extends SpecificRecord> Serde<T> of(
            Class<T> type, SchemaRegistryClient client, AvroSerdeConfig config, boolean isKey) {
        return Serdes.serdeFrom(new AvroSerializer<>(client, config, isKey), new AvroDeserializer<>(type, client));
    }
}
