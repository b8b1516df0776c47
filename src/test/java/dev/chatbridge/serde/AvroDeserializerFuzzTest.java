package dev.chatbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.registry.MockSchemaRegistry;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.testing.SampleEvents;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Mutated valid {@code ChatRequest} records (bit flips, inserted and deleted bytes, truncation, length prefixes
 * rewritten to huge varints, random bodies) decode or fail with {@link SerdeException}, nothing else, each within a
 * second; 20 000 tries in all, on the in-process {@code mock://} registry. A property as a whole must finish within
 * {@value #PROPERTY_BOUND_SECONDS} s.
 */
class AvroDeserializerFuzzTest {

    private static final String TOPIC = "chat-requests";
    private static final long PROPERTY_BOUND_SECONDS = 60;
    private static final Duration CASE_BOUND = Duration.ofSeconds(1);
    private static final String SCOPE = "fuzz-" + java.util.UUID.randomUUID();

    private static final SchemaRegistryClient REGISTRY = MockSchemaRegistry.client(SCOPE);
    private static final AvroDeserializer<ChatRequest> DESERIALIZER =
            new AvroDeserializer<>(ChatRequest.class, REGISTRY);
    /** Valid framed records: written with ChatRequest's own schema, and with a wider compatible one. */
    private static final List<byte[]> SEEDS = seeds();

    private long propertyStart;

    @BeforeProperty
    void startClock() {
        propertyStart = System.nanoTime();
    }

    @AfterProperty
    void checkPropertyTime() {
        assertThat(Duration.ofNanos(System.nanoTime() - propertyStart))
                .as("time for the whole property")
                .isLessThan(Duration.ofSeconds(PROPERTY_BOUND_SECONDS));
    }

    @Property(tries = 5000)
    void bitFlips(
            @ForAll("seed") byte[] seed,
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 1 << 20) Integer> bits) {
        byte[] bytes = seed.clone();
        for (int bit : bits) {
            int position = bit / 8 % bytes.length;
            bytes[position] ^= (byte) (1 << (bit % 8));
        }
        decodeOrSerdeException(bytes);
    }

    @Property(tries = 4000)
    void insertedAndDeletedBytes(
            @ForAll("seed") byte[] seed,
            @ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 1 << 16) Integer> edits,
            @ForAll byte inserted) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(seed);
        byte[] bytes = out.toByteArray();
        for (int edit : edits) {
            int position = WireFormat.HEADER_SIZE + edit / 2 % Math.max(1, bytes.length - WireFormat.HEADER_SIZE);
            bytes = edit % 2 == 0
                    ? insert(bytes, Math.min(position, bytes.length), inserted)
                    : delete(bytes, Math.min(position, bytes.length - 1));
        }
        decodeOrSerdeException(bytes);
    }

    @Property(tries = 2000)
    void truncation(@ForAll("seed") byte[] seed, @ForAll @IntRange(min = 0, max = 10_000) int cut) {
        decodeOrSerdeException(Arrays.copyOf(seed, cut % seed.length));
    }

    @Property(tries = 5000)
    void lengthPrefixesRewrittenToHugeVarints(
            @ForAll("seed") byte[] seed,
            @ForAll @IntRange(min = 0, max = 10_000) int at,
            @ForAll @IntRange(min = 0, max = 3) int replaced,
            @ForAll("hugeLengths") long length) {
        int position = WireFormat.HEADER_SIZE + at % (seed.length - WireFormat.HEADER_SIZE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(seed, 0, position);
        writeVarint(out, length);
        int rest = Math.min(seed.length, position + replaced);
        out.write(seed, rest, seed.length - rest);
        decodeOrSerdeException(out.toByteArray());
    }

    @Property(tries = 4000)
    void randomBodiesAfterAValidHeader(@ForAll("seed") byte[] seed, @ForAll @Size(max = 200) byte[] body) {
        byte[] bytes = Arrays.copyOf(seed, WireFormat.HEADER_SIZE + body.length);
        System.arraycopy(body, 0, bytes, WireFormat.HEADER_SIZE, body.length);
        decodeOrSerdeException(bytes);
    }

    @Provide
    Arbitrary<byte[]> seed() {
        return Arbitraries.of(SEEDS);
    }

    @Provide
    Arbitrary<Long> hugeLengths() {
        return Arbitraries.oneOf(
                Arbitraries.longs(),
                Arbitraries.longs().between(1L << 20, 1L << 40),
                Arbitraries.of(
                        Integer.MAX_VALUE - 8L,
                        (long) Integer.MAX_VALUE,
                        1L << 31,
                        2_000_000_000L,
                        -1L,
                        -2_000_000_000L,
                        Long.MAX_VALUE,
                        Long.MIN_VALUE));
    }

    private static void decodeOrSerdeException(byte[] bytes) {
        long start = System.nanoTime();
        try {
            DESERIALIZER.deserialize(TOPIC, bytes);
        } catch (SerdeException e) {
            if (e.getCause() instanceof OutOfMemoryError) {
                throw new AssertionError(
                        "Decoding ran out of memory for " + HexFormat.of().formatHex(bytes), e);
            }
        } catch (Throwable t) {
            throw new AssertionError(
                    "Not a SerdeException for " + java.util.HexFormat.of().formatHex(bytes), t);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("time to decode one record")
                .isLessThan(CASE_BOUND);
    }

    private static byte[] insert(byte[] bytes, int position, byte value) {
        byte[] result = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, result, 0, position);
        result[position] = value;
        System.arraycopy(bytes, position, result, position + 1, bytes.length - position);
        return result;
    }

    private static byte[] delete(byte[] bytes, int position) {
        if (bytes.length <= WireFormat.HEADER_SIZE) {
            return bytes;
        }
        byte[] result = new byte[bytes.length - 1];
        System.arraycopy(bytes, 0, result, 0, position);
        System.arraycopy(bytes, position + 1, result, position, bytes.length - position - 1);
        return result;
    }

    private static void writeVarint(ByteArrayOutputStream out, long value) {
        AvroDecodingLimitsTest.Body body = new AvroDecodingLimitsTest.Body().varint(value);
        out.writeBytes(body.bytes());
    }

    private static List<byte[]> seeds() {
        AvroSerializer<ChatRequest> serializer = new AvroSerializer<>(REGISTRY, AvroSerdeConfig.from(Map.of()), false);
        int wider = REGISTRY.register("wider", AvroDecodingLimitsTest.WIDER_WRITER);
        return List.of(
                serializer.serialize(TOPIC, SampleEvents.fullRequest("r-1", "thread-1")),
                serializer.serialize(TOPIC, SampleEvents.minimalRequest("r-2")),
                AvroDecodingLimitsTest.framed(wider, AvroDecodingLimitsTest.validBody(true)));
    }
}
