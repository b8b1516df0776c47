package dev.chatbridge.serde;

import dev.chatbridge.registry.BoundedCache;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.registry.SchemaRegistryException;
import java.io.EOFException;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.ResolvingDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro into a generated specific record class.
 *
 * <p>The writer schema is fetched from the registry by the id in the bytes and resolved to the reader class's schema,
 * so records written with an older or newer compatible schema decode (added fields take their defaults, removed ones
 * are skipped).
 *
 * <p>No input and no registry answer makes it throw anything but {@link SerdeException}, allocate much more than the
 * record's size, or wait longer than one bounded registry call:
 *
 * <ul>
 *   <li>every length and item count in the body is checked against the bytes left before anything is allocated for it
 *       ({@link BoundedDecoder}; kind {@code TRUNCATED}: a claim past the end is what a cut record looks like), and
 *       against Avro's own limits ({@link AvroLimits}; kind {@code LIMIT_EXCEEDED});
 *   <li>a writer schema too deep to resolve is {@code SCHEMA_TOO_LARGE}, a body nested too deeply to decode is
 *       {@code LIMIT_EXCEEDED} (both from a {@link StackOverflowError}, caught here);
 *   <li>any other exception of Avro's is {@code CORRUPT_PAYLOAD} (or {@code TRUNCATED} when the body ends early), of
 *       the schema check {@code INCOMPATIBLE_SCHEMA};
 *   <li>registry failures are translated by {@link RegistryErrors}: only {@code REGISTRY_UNAVAILABLE} means "not the
 *       record's fault, try again later".
 * </ul>
 *
 * <p>Thread-safe: readers, one per writer schema id, are kept in a least-recently-used cache of
 * {@value #MAX_CACHED_READERS}; decoding keeps no state between calls (each call has its own decoder).
 *
 * @param <T> the generated record class
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    static final int MAX_CACHED_READERS = 1_000;

    static {
        AvroLimits.install();
    }

    /** A reader for one writer schema, and whether every array item of that schema takes at least one byte. */
    private record Reader<T>(SpecificDatumReader<T> reader, boolean countsNeedBytes) {}

    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private SchemaRegistryClient client;
    private boolean ownsClient;
    private final BoundedCache<Integer, Reader<T>> readers = new BoundedCache<>(MAX_CACHED_READERS);

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
        Reader<T> reader = reader(topic, id);
        String what = "Cannot decode a record of topic '" + topic + "' with schema id " + id;
        BoundedDecoder decoder = new BoundedDecoder(
                data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, reader.countsNeedBytes());
        try {
            T record = reader.reader().read(null, decoder);
            if (decoder.remaining() > 0) {
                throw new SerdeException(
                        SerdeException.Kind.CORRUPT_PAYLOAD,
                        what + ": " + decoder.remaining() + " bytes are left after the record ends");
            }
            return record;
        } catch (SerdeException e) {
            throw e;
        } catch (BoundedDecoder.LengthException e) {
            throw new SerdeException(e.kind(), what + ": " + e.getMessage() + " (" + data.length + " bytes in all)", e);
        } catch (EOFException e) {
            throw new SerdeException(
                    SerdeException.Kind.TRUNCATED,
                    what + ": the Avro body ends early (" + data.length + " bytes in all)",
                    e);
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(
                    SerdeException.Kind.CORRUPT_PAYLOAD,
                    what + ": corrupt Avro body (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
                    e);
        } catch (StackOverflowError e) {
            throw new SerdeException(
                    SerdeException.Kind.LIMIT_EXCEEDED,
                    what + ": the Avro body is nested too" + " deeply to decode (" + data.length + " bytes in all)",
                    e);
        } catch (OutOfMemoryError e) {
            throw new SerdeException(
                    SerdeException.Kind.LIMIT_EXCEEDED,
                    what + ": decoding ran out of memory (" + data.length + " bytes in all)",
                    e);
        }
    }

    private Reader<T> reader(String topic, int id) {
        Reader<T> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        Schema writer = writerSchema(topic, id);
        String what = "Cannot decode a record of topic '" + topic + "': its writer schema id " + id;
        try {
            SchemaCompatibility.SchemaPairCompatibility compatibility =
                    SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
            if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SerdeException(
                        SerdeException.Kind.INCOMPATIBLE_SCHEMA,
                        what + " (" + writer.getFullName()
                                + ") cannot be read as " + readerSchema.getFullName() + ": "
                                + compatibility.getResult().getIncompatibilities());
            }
            // Builds the resolving grammar once here, so a schema too deep for it fails as a schema problem.
            ResolvingDecoder.resolve(writer, readerSchema);
            Reader<T> reader = new Reader<>(
                    new SpecificDatumReader<>(writer, readerSchema, model),
                    everyArrayItemTakesBytes(writer, new IdentityHashMap<>()));
            readers.put(id, reader);
            return reader;
        } catch (SerdeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(
                    SerdeException.Kind.INCOMPATIBLE_SCHEMA,
                    what + " cannot be read as " + readerSchema.getFullName() + " ("
                            + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
                    e);
        } catch (StackOverflowError e) {
            throw new SerdeException(
                    SerdeException.Kind.SCHEMA_TOO_LARGE,
                    what + " is nested too deeply to resolve" + " against " + readerSchema.getFullName(),
                    e);
        }
    }

    private Schema writerSchema(String topic, int id) {
        String action = "Cannot decode a record of topic '" + topic + "': cannot fetch its writer schema id " + id;
        try {
            return client.getById(id);
        } catch (SchemaRegistryException e) {
            throw RegistryErrors.translate(e, action);
        } catch (RuntimeException e) {
            throw new SerdeException(
                    SerdeException.Kind.REGISTRY_ERROR,
                    action + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
                    e);
        } catch (StackOverflowError e) {
            throw new SerdeException(
                    SerdeException.Kind.SCHEMA_TOO_LARGE, action + ": it is nested too deeply to parse", e);
        }
    }

    /**
     * Whether every array in the schema has items that take at least one byte each, so that an item count larger than
     * the bytes left is certainly a lie. Null and empty records take none.
     */
    static boolean everyArrayItemTakesBytes(Schema schema, Map<Schema, Boolean> seen) {
        if (seen.containsKey(schema)) {
            return true;
        }
        seen.put(schema, Boolean.TRUE);
        return switch (schema.getType()) {
            case ARRAY ->
                takesBytes(schema.getElementType(), new IdentityHashMap<>())
                        && everyArrayItemTakesBytes(schema.getElementType(), seen);
            case MAP -> everyArrayItemTakesBytes(schema.getValueType(), seen);
            case UNION -> schema.getTypes().stream().allMatch(branch -> everyArrayItemTakesBytes(branch, seen));
            case RECORD ->
                schema.getFields().stream().allMatch(field -> everyArrayItemTakesBytes(field.schema(), seen));
            default -> true;
        };
    }

    /** Whether every value of the schema takes at least one byte in Avro's binary encoding. */
    private static boolean takesBytes(Schema schema, Map<Schema, Boolean> seen) {
        return switch (schema.getType()) {
            case NULL -> false;
            case FIXED -> schema.getFixedSize() > 0;
            case RECORD ->
                seen.put(schema, Boolean.TRUE) != null
                        || schema.getFields().stream().anyMatch(field -> takesBytes(field.schema(), seen));
            default -> true;
        };
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
