package dev.chatbridge.serde;

import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.registry.SchemaRegistryException;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro into a generated specific record class.
 *
 * <p>The writer schema is fetched from the registry by the id in the bytes and resolved to the
 * reader class's schema, so records written with an older or newer compatible schema decode
 * (added fields take their defaults, removed ones are skipped). Every failure (bad magic byte,
 * truncated bytes, unknown id, incompatible or corrupt payload, unreachable registry) raises a
 * {@link SerdeException}; none hangs, because registry calls are bounded by the client.
 *
 * <p>Thread-safe: one reader per writer schema id is cached (at most {@value #MAX_CACHED_READERS});
 * decoding keeps no state between calls.
 *
 * @param <T> the generated record class
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    static final int MAX_CACHED_READERS = 1_000;

    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private SchemaRegistryClient client;
    private boolean ownsClient;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

    /** A deserializer for the class that still needs {@link #configure}. */
    public AvroDeserializer(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
    }

    /** A ready deserializer that uses (and does not close) the given client. */
    public AvroDeserializer(Class<T> type, SchemaRegistryClient client) {
        this(type);
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.client = SchemaRegistryClients.create(configs);
        this.ownsClient = true;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroDeserializer used before configure(): set schema.registry.url");
        }
        int id = WireFormat.schemaId(topic, data);
        SpecificDatumReader<T> reader = reader(topic, id);
        BinaryDecoder decoder = DecoderFactory.get()
                .binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
        T record;
        try {
            record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerdeException(SerdeException.Kind.CORRUPT_PAYLOAD, "Cannot decode a record of topic '"
                        + topic + "' with schema id " + id + ": bytes are left after the record ends");
            }
        } catch (EOFException e) {
            throw new SerdeException(SerdeException.Kind.TRUNCATED, "Cannot decode a record of topic '" + topic
                    + "' with schema id " + id + ": the Avro body ends early (" + data.length + " bytes in all)", e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerdeException(SerdeException.Kind.CORRUPT_PAYLOAD, "Cannot decode a record of topic '"
                    + topic + "' with schema id " + id + ": corrupt Avro body (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")", e);
        }
        return record;
    }

    private SpecificDatumReader<T> reader(String topic, int id) {
        SpecificDatumReader<T> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        Schema writer;
        try {
            writer = client.getById(id);
        } catch (SchemaRegistryException e) {
            throw RegistryErrors.translate(e, "Cannot decode a record of topic '" + topic
                    + "': cannot fetch its writer schema id " + id);
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new SerdeException(SerdeException.Kind.INCOMPATIBLE_SCHEMA, "Cannot decode a record of topic '"
                    + topic + "': its writer schema id " + id + " (" + writer.getFullName() + ") cannot be read as "
                    + readerSchema.getFullName() + ": " + compatibility.getResult().getIncompatibilities());
        }
        SpecificDatumReader<T> reader;
        try {
            reader = new SpecificDatumReader<>(writer, readerSchema, model);
        } catch (AvroTypeException e) {
            throw new SerdeException(SerdeException.Kind.INCOMPATIBLE_SCHEMA, "Cannot decode a record of topic '"
                    + topic + "' with schema id " + id + ": " + e.getMessage(), e);
        }
        if (readers.size() < MAX_CACHED_READERS) {
            readers.put(id, reader);
        }
        return reader;
    }

    /** The class records are decoded into. */
    public Class<T> type() {
        return type;
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }
}
