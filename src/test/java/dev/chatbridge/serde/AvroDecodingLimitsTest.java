package dev.chatbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.management.ThreadMXBean;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.registry.MockSchemaRegistry;
import dev.chatbridge.registry.RegisteredSchema;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hostile bodies and writer schemas: each is a {@link SerdeException} within a time bound, and allocates little
 * (measured per thread), where Avro alone would allocate gigabytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AvroDecodingLimitsTest {

    private static final String TOPIC = "chat-requests";
    private static final long HUGE = 2_000_000_000L;
    private static final long MAX_ALLOCATED = 4L * 1024 * 1024;

    /** ChatRequest with one more field of each length-prefixed kind; readers of ChatRequest skip them. */
    static final Schema WIDER_WRITER = new Schema.Parser().parse("""
            {"type": "record", "name": "ChatRequest", "namespace": "dev.chatbridge.events", "fields": [
              {"name": "requestId", "type": "string"},
              {"name": "threadId", "type": ["null", "string"], "default": null},
              {"name": "assistantId", "type": ["null", "string"], "default": null},
              {"name": "account", "type": ["null", "string"], "default": null},
              {"name": "messages", "type": {"type": "array", "items": {"type": "record", "name": "ChatMessage",
                "fields": [{"name": "role", "type": {"type": "enum", "name": "MessageRole",
                  "symbols": ["User", "System", "Assistant"]}},
                  {"name": "text", "type": ["null", "string"], "default": null}]}}},
              {"name": "metadata", "type": {"type": "map", "values": "string"}, "default": {}},
              {"name": "createdAt", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}],
               "default": null},
              {"name": "blob", "type": "bytes", "default": ""},
              {"name": "note", "type": "string", "default": ""},
              {"name": "counts", "type": {"type": "array", "items": "long"}, "default": []},
              {"name": "labels", "type": {"type": "map", "values": "long"}, "default": {}},
              {"name": "extra", "type": {"type": "record", "name": "Extra", "fields": [
                {"name": "tags", "type": {"type": "array", "items": "string"}}]}}
            ]}""");

    /** Where in the body the hostile length sits, and through which schema it is read. */
    enum Bomb {
        REQUEST_ID_STRING(false),
        MESSAGES_ARRAY(false),
        MESSAGES_ARRAY_SIZED_BLOCK(false),
        MESSAGE_TEXT_STRING(false),
        METADATA_MAP(false),
        METADATA_KEY_STRING(false),
        SAME_SHAPE_VIA_WIDER_WRITER(true),
        SKIPPED_BYTES(true),
        SKIPPED_STRING(true),
        SKIPPED_ARRAY(true),
        SKIPPED_ARRAY_SIZED_BLOCK(true),
        SKIPPED_MAP(true),
        SKIPPED_ARRAY_NESTED_IN_RECORD(true);

        final boolean wider;

        Bomb(boolean wider) {
            this.wider = wider;
        }
    }

    private String scope;
    private SchemaRegistryClient registry;
    private int chatRequestId;
    private int widerId;

    @BeforeEach
    void setUp() {
        scope = "limits-test-" + UUID.randomUUID();
        registry = SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://" + scope));
        chatRequestId = registry.register(TOPIC + "-value", ChatRequest.getClassSchema());
        widerId = registry.register("wider", WIDER_WRITER);
    }

    @AfterEach
    void tearDown() {
        registry.close();
        MockSchemaRegistry.drop(scope);
    }

    @ParameterizedTest
    @EnumSource(Bomb.class)
    void shouldRejectAClaimedLengthLargerThanTheRecordWithoutAllocatingIt(Bomb bomb) {
        byte[] bytes = bomb(bomb);
        AvroDeserializer<ChatRequest> deserializer = new AvroDeserializer<>(ChatRequest.class, registry);
        deserializer.deserialize(TOPIC, framed(bomb.wider ? widerId : chatRequestId, validBody(bomb.wider)));

        long allocatedBefore = allocatedBytes();
        long start = System.nanoTime();
        Throwable failure = catchThrowable(() -> deserializer.deserialize(TOPIC, bytes));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        long allocated = allocatedBytes() - allocatedBefore;

        assertThat(failure).isInstanceOf(SerdeException.class);
        assertThat(((SerdeException) failure).kind()).isEqualTo(SerdeException.Kind.TRUNCATED);
        assertThat(failure).hasMessageContaining("bytes are left in the record").hasMessageContaining("schema id");
        assertThat(elapsed).isLessThan(Duration.ofSeconds(1));
        assertThat(allocated).as("bytes allocated while decoding").isLessThan(MAX_ALLOCATED);
    }

    @Test
    void shouldStillDecodeValidRecordsThroughBothSchemas() {
        AvroDeserializer<ChatRequest> deserializer = new AvroDeserializer<>(ChatRequest.class, registry);

        ChatRequest same = deserializer.deserialize(TOPIC, framed(chatRequestId, validBody(false)));
        ChatRequest wider = deserializer.deserialize(TOPIC, framed(widerId, validBody(true)));

        assertThat(same.getRequestId()).isEqualTo("r");
        assertThat(wider).isEqualTo(same);
        assertThat(wider.getMessages()).hasSize(1);
        assertThat(wider.getMetadata()).hasSize(1);
    }

    @Test
    void shouldRejectAnArrayOverAvrosCollectionLimitEvenWhenItsItemsTakeNoBytes() {
        // Given: a writer with an extra array of nulls, whose items take no bytes, so that only the
        // collection limit bounds their count
        Schema nulls = chatRequestWith(
                new Schema.Field("nothings", SchemaBuilder.array().items().nullType()));
        assertThat(AvroDeserializer.everyArrayItemTakesBytes(nulls, new IdentityHashMap<>()))
                .isFalse();
        assertThat(AvroDeserializer.everyArrayItemTakesBytes(WIDER_WRITER, new IdentityHashMap<>()))
                .isTrue();
        int id = registry.register("nulls", nulls);
        Body body = new Body();
        body.out.writeBytes(validBody(false));
        body.varint(AvroLimits.DEFAULT_COLLECTION_ITEMS_MAX_LENGTH + 1L).varint(0);
        AvroDeserializer<ChatRequest> deserializer = new AvroDeserializer<>(ChatRequest.class, registry);

        // When
        Throwable failure = catchThrowable(() -> deserializer.deserialize(TOPIC, framed(id, body.bytes())));

        // Then
        assertThat(failure)
                .isInstanceOf(SerdeException.class)
                .hasMessageContaining("items")
                .hasMessageContaining(AvroLimits.COLLECTION_ITEMS_MAX_LENGTH);
        assertThat(((SerdeException) failure).kind()).isEqualTo(SerdeException.Kind.LIMIT_EXCEEDED);
    }

    @Test
    void shouldSetAvrosLimitPropertiesAndApplyTheLimitsItself() {
        // Whether Avro itself still reads them depends on what decoded Avro first in this JVM, so
        // install() is not asserted; the deserializer applies them either way.
        AvroLimits.install();

        assertThat(System.getProperty(AvroLimits.STRING_MAX_LENGTH))
                .isEqualTo(String.valueOf(AvroLimits.maxStringLength()));
        assertThat(System.getProperty(AvroLimits.BYTES_MAX_LENGTH))
                .isEqualTo(String.valueOf(AvroLimits.maxBytesLength()));
        assertThat(System.getProperty(AvroLimits.COLLECTION_ITEMS_MAX_LENGTH))
                .isEqualTo(String.valueOf(AvroLimits.maxCollectionItems()));
    }

    @Test
    void shouldTurnAWriterSchemaTooDeepToResolveIntoSchemaTooLarge() throws InterruptedException {
        // Given: a registry that answers a schema nested 20 000 records deep, on a thread with a small stack
        Schema deep = SchemaBuilder.builder().stringType();
        for (int i = 0; i < 20_000; i++) {
            deep = SchemaBuilder.record("dev.chatbridge.events.N" + i)
                    .fields()
                    .name("n")
                    .type(deep)
                    .noDefault()
                    .endRecord();
        }
        Schema hostile = chatRequestWith(new Schema.Field("deep", deep));
        AtomicInteger calls = new AtomicInteger();
        AvroDeserializer<ChatRequest> deserializer =
                new AvroDeserializer<>(ChatRequest.class, new FixedAnswer(hostile, calls));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread small = new Thread(
                null,
                () -> failure.set(catchThrowable(() -> deserializer.deserialize(
                        TOPIC, framed(7, new Body().string("r").bytes())))),
                "small-stack",
                256 * 1024);

        // When
        small.start();
        small.join(Duration.ofSeconds(30).toMillis());

        // Then
        assertThat(failure.get()).isInstanceOf(SerdeException.class).hasMessageContaining("schema id 7");
        assertThat(((SerdeException) failure.get()).kind()).isEqualTo(SerdeException.Kind.SCHEMA_TOO_LARGE);
        assertThat(calls).hasValue(1);
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedReaderInsteadOfStoppingToCache() {
        // Given: a full reader cache in which id 1 was used last
        AtomicInteger calls = new AtomicInteger();
        AvroDeserializer<ChatRequest> deserializer =
                new AvroDeserializer<>(ChatRequest.class, new FixedAnswer(ChatRequest.getClassSchema(), calls));
        byte[] body = validBody(false);
        for (int id = 1; id <= AvroDeserializer.MAX_CACHED_READERS; id++) {
            deserializer.deserialize(TOPIC, framed(id, body));
        }
        deserializer.deserialize(TOPIC, framed(1, body));
        int full = calls.get();

        // When: a new id comes, then the recently used one, then the newest, then the evicted one
        deserializer.deserialize(TOPIC, framed(AvroDeserializer.MAX_CACHED_READERS + 1, body));
        deserializer.deserialize(TOPIC, framed(1, body));
        deserializer.deserialize(TOPIC, framed(AvroDeserializer.MAX_CACHED_READERS + 1, body));
        int afterHits = calls.get();
        deserializer.deserialize(TOPIC, framed(2, body));

        // Then
        assertThat(full).isEqualTo(AvroDeserializer.MAX_CACHED_READERS);
        assertThat(afterHits).as("the new id is fetched once, then cached").isEqualTo(full + 1);
        assertThat(calls).as("id 2, used least recently, was evicted").hasValue(full + 2);
    }

    /** ChatRequest's schema with one more field at the end, which its readers skip. */
    private static Schema chatRequestWith(Schema.Field extra) {
        List<Schema.Field> fields = new ArrayList<>();
        ChatRequest.getClassSchema().getFields().forEach(field -> fields.add(new Schema.Field(field, field.schema())));
        fields.add(extra);
        return Schema.createRecord("ChatRequest", null, "dev.chatbridge.events", false, fields);
    }

    static byte[] framed(int id, byte[] body) {
        return WireFormat.header(id, body.length).put(body).array();
    }

    /** A valid body of one message and one metadata entry; for the wider writer, with its extra fields. */
    static byte[] validBody(boolean wider) {
        Body body = chatRequestHead()
                .varint(1)
                .varint(0)
                .varint(0)
                .varint(0)
                .varint(1)
                .string("k")
                .string("v")
                .varint(0)
                .varint(0);
        if (wider) {
            body.string("blob")
                    .string("note")
                    .varint(1)
                    .varint(7)
                    .varint(0)
                    .varint(1)
                    .string("x")
                    .varint(3)
                    .varint(0)
                    .varint(1)
                    .string("tag")
                    .varint(0);
        }
        return body.bytes();
    }

    private byte[] bomb(Bomb bomb) {
        int id = bomb.wider ? widerId : chatRequestId;
        Body body = switch (bomb) {
            case REQUEST_ID_STRING -> new Body().varint(HUGE);
            case MESSAGES_ARRAY, SAME_SHAPE_VIA_WIDER_WRITER ->
                chatRequestHead().varint(HUGE);
            case MESSAGES_ARRAY_SIZED_BLOCK -> chatRequestHead().varint(-1).varint(HUGE);
            case MESSAGE_TEXT_STRING ->
                chatRequestHead().varint(1).varint(0).varint(1).varint(HUGE);
            case METADATA_MAP -> chatRequestHead().varint(0).varint(HUGE);
            case METADATA_KEY_STRING -> chatRequestHead().varint(0).varint(1).varint(HUGE);
            case SKIPPED_BYTES -> widerHead().varint(HUGE);
            case SKIPPED_STRING -> widerHead().string("").varint(HUGE);
            case SKIPPED_ARRAY -> widerHead().string("").string("").varint(HUGE);
            case SKIPPED_ARRAY_SIZED_BLOCK ->
                widerHead().string("").string("").varint(-2).varint(HUGE);
            case SKIPPED_MAP -> widerHead().string("").string("").varint(0).varint(HUGE);
            case SKIPPED_ARRAY_NESTED_IN_RECORD ->
                widerHead().string("").string("").varint(0).varint(0).varint(HUGE);
        };
        return framed(id, body.varint(0).bytes());
    }

    /** requestId "r", then three null unions: the body up to the messages array. */
    private static Body chatRequestHead() {
        return new Body().string("r").varint(0).varint(0).varint(0);
    }

    /** The wider writer's body up to its first extra field. */
    private static Body widerHead() {
        return chatRequestHead().varint(0).varint(0).varint(0);
    }

    private static long allocatedBytes() {
        return ((ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Writes Avro binary by hand, so that lengths can lie. */
    static final class Body {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Body varint(long value) {
            long zigzag = (value << 1) ^ (value >> 63);
            while ((zigzag & ~0x7FL) != 0) {
                out.write((int) ((zigzag & 0x7F) | 0x80));
                zigzag >>>= 7;
            }
            out.write((int) zigzag);
            return this;
        }

        Body string(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            varint(utf8.length);
            out.writeBytes(utf8);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A registry that answers one schema for every id and counts the calls. */
    private record FixedAnswer(Schema schema, AtomicInteger calls) implements SchemaRegistryClient {
        @Override
        public int register(String subject, Schema s) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int lookup(String subject, Schema s) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Schema getById(int id) {
            calls.incrementAndGet();
            return schema;
        }

        @Override
        public RegisteredSchema getLatest(String subject) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }
}
