package dev.chatbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.registry.MockSchemaRegistry;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.testing.SampleEvents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final String TOPIC = "chat-requests";

    private String scope;
    private SchemaRegistryClient registry;

    @BeforeEach
    void setUp() {
        scope = "serde-test-" + UUID.randomUUID();
        registry = SchemaRegistryClients.create(Map.of("schema.registry.url", "mock://" + scope));
    }

    @AfterEach
    void tearDown() {
        registry.close();
        MockSchemaRegistry.drop(scope);
    }

    private AvroSerializer<ChatRequest> serializer(Map<String, Object> extra) {
        Map<String, Object> configs = new HashMap<>(extra);
        configs.put("schema.registry.url", "mock://" + scope);
        AvroSerializer<ChatRequest> serializer = new AvroSerializer<>();
        serializer.configure(configs, false);
        return serializer;
    }

    private AvroDeserializer<ChatRequest> deserializer() {
        return new AvroDeserializer<>(ChatRequest.class, registry);
    }

    @Test
    void shouldRoundTripARequestWithEveryFieldSet() {
        ChatRequest request = SampleEvents.fullRequest("r-1", "thread-1");
        try (AvroSerializer<ChatRequest> serializer = serializer(Map.of())) {
            byte[] bytes = serializer.serialize(TOPIC, request);

            assertThat(deserializer().deserialize(TOPIC, bytes)).isEqualTo(request);
        }
    }

    @Test
    void shouldFrameWithMagicByteAndTheRegisteredIdBigEndian() {
        ChatRequest request = SampleEvents.minimalRequest("r-2");
        try (AvroSerializer<ChatRequest> serializer = serializer(Map.of())) {
            byte[] bytes = serializer.serialize(TOPIC, request);

            int registeredId = registry.lookup(TOPIC + "-value", ChatRequest.getClassSchema());
            assertThat(bytes[0]).as("magic byte").isZero();
            assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).as("schema id").isEqualTo(registeredId);
            assertThat(Arrays.copyOfRange(bytes, 5, bytes.length))
                    .as("body: plain Avro binary of the record")
                    .isEqualTo(avroBinary(ChatRequest.getClassSchema(), request));
        }
    }

    @Test
    void shouldDecodeBytesFramedByAnyConfluentCompatibleWriter() throws IOException {
        // Given bytes built by hand as Confluent's serializer builds them, with a generic record
        Schema schema = ChatRequest.getClassSchema();
        int id = registry.register("any-subject", schema);
        GenericRecord generic = new GenericData.Record(schema);
        generic.put("requestId", "r-3");
        GenericData.Record message =
                new GenericData.Record(schema.getField("messages").schema().getElementType());
        message.put(
                "role",
                new GenericData.EnumSymbol(message.getSchema().getField("role").schema(), "User"));
        message.put("text", "Hello");
        generic.put("messages", List.of(message));
        generic.put("metadata", Map.of());
        byte[] body = genericBinary(schema, generic);
        byte[] framed = ByteBuffer.allocate(5 + body.length)
                .put((byte) 0)
                .putInt(id)
                .put(body)
                .array();

        ChatRequest decoded = deserializer().deserialize(TOPIC, framed);

        assertThat(decoded.getRequestId()).isEqualTo("r-3");
        assertThat(decoded.getMessages()).hasSize(1);
        assertThat(decoded.getMessages().get(0).getText()).isEqualTo("Hello");
    }

    @Test
    void shouldDecodeARecordWrittenWithAnOlderSchema() throws IOException {
        Schema older = new Schema.Parser().parse("""
                {"type":"record","name":"ChatRequest","namespace":"dev.chatbridge.events","fields":[
                  {"name":"requestId","type":"string"},
                  {"name":"threadId","type":["null","string"],"default":null},
                  {"name":"messages","type":{"type":"array","items":{"type":"record","name":"ChatMessage",
                    "fields":[{"name":"role","type":{"type":"enum","name":"MessageRole",
                      "symbols":["User","System","Assistant"]}},{"name":"text","type":["null","string"],"default":null}]}}}
                ]}""");
        int id = registry.register(TOPIC + "-value", older);
        GenericRecord record = new GenericData.Record(older);
        record.put("requestId", "r-old");
        record.put("threadId", "t-old");
        GenericData.Record message =
                new GenericData.Record(older.getField("messages").schema().getElementType());
        message.put(
                "role",
                new GenericData.EnumSymbol(message.getSchema().getField("role").schema(), "User"));
        message.put("text", "from an old producer");
        record.put("messages", List.of(message));
        byte[] body = genericBinary(older, record);
        byte[] framed = ByteBuffer.allocate(5 + body.length)
                .put((byte) 0)
                .putInt(id)
                .put(body)
                .array();

        ChatRequest decoded = deserializer().deserialize(TOPIC, framed);

        assertThat(decoded.getRequestId()).isEqualTo("r-old");
        assertThat(decoded.getThreadId()).isEqualTo("t-old");
        assertThat(decoded.getMessages().get(0).getText()).isEqualTo("from an old producer");
        assertThat(decoded.getMetadata())
                .as("field added later takes its default")
                .isEmpty();
        assertThat(decoded.getAccount()).isNull();
        assertThat(decoded.getCreatedAt()).isNull();
    }

    @Test
    void shouldDecodeARecordWrittenWithANewerSchemaThatAddsAField() throws IOException {
        Schema current = new Schema.Parser().parse(ChatRequest.getClassSchema().toString());
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : current.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("priority", Schema.create(Schema.Type.INT), "added by a newer producer", 0));
        Schema newer = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        int id = registry.register(TOPIC + "-value", newer);
        GenericRecord record = new GenericData.Record(newer);
        ChatRequest sample = SampleEvents.minimalRequest("r-new");
        for (Schema.Field f : current.getFields()) {
            record.put(f.name(), GenericData.get().deepCopy(f.schema(), sample.get(f.pos())));
        }
        record.put("priority", 5);
        byte[] body = genericBinary(newer, record);
        byte[] framed = ByteBuffer.allocate(5 + body.length)
                .put((byte) 0)
                .putInt(id)
                .put(body)
                .array();

        ChatRequest decoded = deserializer().deserialize(TOPIC, framed);

        assertThat(decoded).isEqualTo(sample);
    }

    @Test
    void shouldRejectAWrongMagicByte() {
        byte[] json = "{\"requestId\":\"r\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        assertThatThrownBy(() -> deserializer().deserialize(TOPIC, json))
                .isInstanceOfSatisfying(
                        SerdeException.class, e -> assertThat(e.kind()).isEqualTo(SerdeException.Kind.BAD_MAGIC_BYTE))
                .hasMessageContaining("0x7b")
                .hasMessageContaining(TOPIC);
    }

    @Test
    void shouldRejectBytesShorterThanTheHeader() {
        assertThatThrownBy(() -> deserializer().deserialize(TOPIC, new byte[] {0, 0, 1}))
                .isInstanceOfSatisfying(
                        SerdeException.class, e -> assertThat(e.kind()).isEqualTo(SerdeException.Kind.TRUNCATED))
                .hasMessageContaining("3 bytes");
    }

    @Test
    void shouldRejectATruncatedAvroBody() {
        byte[] bytes;
        try (AvroSerializer<ChatRequest> serializer = serializer(Map.of())) {
            bytes = serializer.serialize(TOPIC, SampleEvents.fullRequest("r-4", "t-4"));
        }
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 10);

        assertThatThrownBy(() -> deserializer().deserialize(TOPIC, truncated))
                .isInstanceOfSatisfying(
                        SerdeException.class,
                        e -> assertThat(e.kind())
                                .isIn(SerdeException.Kind.TRUNCATED, SerdeException.Kind.CORRUPT_PAYLOAD));
    }

    @Test
    void shouldRejectBytesLeftAfterTheRecord() {
        byte[] bytes;
        try (AvroSerializer<ChatRequest> serializer = serializer(Map.of())) {
            bytes = serializer.serialize(TOPIC, SampleEvents.minimalRequest("r-5"));
        }
        byte[] padded = Arrays.copyOf(bytes, bytes.length + 3);

        assertThatThrownBy(() -> deserializer().deserialize(TOPIC, padded))
                .isInstanceOfSatisfying(
                        SerdeException.class, e -> assertThat(e.kind()).isEqualTo(SerdeException.Kind.CORRUPT_PAYLOAD))
                .hasMessageContaining("left");
    }

    @Test
    void shouldRejectAnUnknownSchemaId() {
        byte[] bytes = ByteBuffer.allocate(8)
                .put((byte) 0)
                .putInt(987_654)
                .put(new byte[] {2, 0, 0})
                .array();

        assertThatThrownBy(() -> deserializer().deserialize(TOPIC, bytes))
                .isInstanceOfSatisfying(
                        SerdeException.class,
                        e -> assertThat(e.kind()).isEqualTo(SerdeException.Kind.UNKNOWN_SCHEMA_ID))
                .hasMessageContaining("987654");
    }

    @Test
    void shouldRejectAWriterSchemaTheReaderCannotRead() {
        Schema other = new Schema.Parser().parse("""
                {"type":"record","name":"ChatRequest","namespace":"dev.chatbridge.events",
                 "fields":[{"name":"requestId","type":"long"}]}""");
        int id = registry.register("unrelated", other);
        byte[] bytes =
                ByteBuffer.allocate(6).put((byte) 0).putInt(id).put((byte) 2).array();

        assertThatThrownBy(() -> deserializer().deserialize(TOPIC, bytes))
                .isInstanceOfSatisfying(
                        SerdeException.class,
                        e -> assertThat(e.kind()).isEqualTo(SerdeException.Kind.INCOMPATIBLE_SCHEMA));
    }

    @Test
    void shouldFailWithinBoundedTimeWhenTheRegistryIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        AvroDeserializer<ChatRequest> deserializer = new AvroDeserializer<>(ChatRequest.class);
        deserializer.configure(
                Map.of(
                        "schema.registry.url",
                        "http://127.0.0.1:" + closedPort,
                        "max.retries",
                        2,
                        "retries.wait.ms",
                        20,
                        "http.connect.timeout.ms",
                        1_000),
                false);
        byte[] bytes = ByteBuffer.allocate(8)
                .put((byte) 0)
                .putInt(1)
                .put(new byte[] {2, 0, 0})
                .array();
        long start = System.nanoTime();

        try {
            assertThatThrownBy(() -> deserializer.deserialize(TOPIC, bytes))
                    .isInstanceOfSatisfying(
                            SerdeException.class,
                            e -> assertThat(e.kind()).isEqualTo(SerdeException.Kind.REGISTRY_UNAVAILABLE))
                    .hasMessageContaining("127.0.0.1:" + closedPort);
        } finally {
            deserializer.close();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("time to give up on an unreachable registry with 2 retries")
                .isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldRegisterUnderTheRecordNameWithRecordNameStrategy() {
        try (AvroSerializer<ChatRequest> serializer = serializer(Map.of(
                AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY,
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"))) {
            serializer.serialize(TOPIC, SampleEvents.minimalRequest("r-6"));
        }

        assertThat(registry.getLatest("dev.chatbridge.events.ChatRequest")
                        .schema()
                        .getFullName())
                .isEqualTo("dev.chatbridge.events.ChatRequest");
    }

    @Test
    void shouldRefuseAnUnregisteredSchemaWhenAutoRegisterIsOff() {
        try (AvroSerializer<ChatRequest> serializer =
                serializer(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"))) {
            assertThatThrownBy(() -> serializer.serialize(TOPIC, SampleEvents.minimalRequest("r-7")))
                    .isInstanceOf(SerdeException.class)
                    .hasMessageContaining("not registered")
                    .hasMessageContaining("auto.register.schemas");
        }
    }

    @Test
    void shouldWriteWithTheLatestVersionsIdWhenAsked() {
        int id = registry.register(TOPIC + "-value", ChatRequest.getClassSchema());
        try (AvroSerializer<ChatRequest> serializer = serializer(
                Map.of(AvroSerdeConfig.USE_LATEST_VERSION, true, AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false))) {
            byte[] bytes = serializer.serialize(TOPIC, SampleEvents.minimalRequest("r-8"));

            assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        }
    }

    @Test
    void shouldNameTheAcceptedStrategiesForAnUnknownOne() {
        assertThatThrownBy(() -> serializer(Map.of(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "ByColour")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("value.subject.name.strategy")
                .hasMessageContaining("TopicNameStrategy");
    }

    private static byte[] avroBinary(Schema schema, ChatRequest request) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<ChatRequest>(schema).write(request, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] genericBinary(Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
