package dev.chatbridge.serde;

import dev.chatbridge.registry.RegisteredSchema;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro specific records in Confluent's wire format, registering or looking up the writer schema in a
 * Confluent-compatible schema registry.
 *
 * <p>Thread-safe: the schema id of each subject is cached after the first record, and writing keeps no state between
 * calls. A serializer built with a client does not close it; one built by Kafka from configs ({@link #configure}) owns
 * and closes its client.
 *
 * @param <T> the generated record class
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    static {
        AvroLimits.install();
    }

    private SchemaRegistryClient client;
    private boolean ownsClient;
    private AvroSerdeConfig config;
    private boolean isKey;
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Schema, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();

    /** For Kafka to instantiate by class name; {@link #configure} must be called. */
    public AvroSerializer() {}

    /** A ready serializer that uses (and does not close) the given client. */
    public AvroSerializer(SchemaRegistryClient client, AvroSerdeConfig config, boolean isKey) {
        this.client = Objects.requireNonNull(client, "client");
        this.config = Objects.requireNonNull(config, "config");
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.config = AvroSerdeConfig.from(configs);
        this.isKey = isKey;
        this.client = SchemaRegistryClients.create(configs);
        this.ownsClient = true;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroSerializer used before configure(): set schema.registry.url");
        }
        Schema schema = record.getSchema();
        String subject = config.strategy(isKey).subject(topic, isKey, schema);
        SubjectSchema cacheKey = new SubjectSchema(subject, schema);
        Integer id = ids.get(cacheKey);
        if (id == null) {
            // Not computeIfAbsent: the registry call must not run under the map's lock.
            id = schemaId(subject, schema);
            ids.put(cacheKey, id);
        }
        byte[] body = encode(schema, record, topic);
        return WireFormat.header(id, body.length).put(body).array();
    }

    private int schemaId(String subject, Schema schema) {
        try {
            if (config.useLatestVersion()) {
                RegisteredSchema latest = client.getLatest(subject);
                if (!SchemaNormalization.toParsingForm(latest.schema())
                        .equals(SchemaNormalization.toParsingForm(schema))) {
                    throw new SerdeException(
                            SerdeException.Kind.INCOMPATIBLE_SCHEMA,
                            "use.latest.version is set, but"
                                    + " the latest schema of subject '" + subject + "' (id " + latest.id()
                                    + ", version "
                                    + latest.version() + ") is not the writer schema " + schema.getFullName()
                                    + ". Register this schema version, or unset use.latest.version.");
                }
                return latest.id();
            }
            if (config.autoRegisterSchemas()) {
                return client.register(subject, schema);
            }
            return client.lookup(subject, schema);
        } catch (SchemaRegistryException e) {
            if (!config.autoRegisterSchemas() && e.isNotFound()) {
                throw new SerdeException(
                        SerdeException.Kind.REGISTRY_ERROR,
                        "Schema " + schema.getFullName()
                                + " is not registered under subject '" + subject
                                + "' and auto.register.schemas is false:"
                                + " register it first, or set auto.register.schemas=true (" + e.getMessage() + ")",
                        e);
            }
            String how = config.autoRegisterSchemas() && !config.useLatestVersion() ? "register" : "look up";
            throw RegistryErrors.translate(
                    e, "Cannot " + how + " schema " + schema.getFullName() + " under subject '" + subject + "'");
        }
    }

    private byte[] encode(Schema schema, T record, String topic) {
        SpecificDatumWriter<T> writer = writers.computeIfAbsent(schema, SpecificDatumWriter::new);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(
                    SerdeException.Kind.CORRUPT_PAYLOAD,
                    "Cannot encode a " + schema.getFullName() + " for topic '" + topic + "': " + e.getMessage(),
                    e);
        }
        return out.toByteArray();
    }

    private record SubjectSchema(String subject, Schema schema) {}

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }
}
