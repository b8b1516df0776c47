package dev.chatbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.SampleEvents;
import dev.chatbridge.testing.TestClients;
import dev.chatbridge.testing.WithKafka;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Our serde through a real broker, with the embedded registry reached over HTTP. */
@WithKafka
@Timeout(120)
class SerdeThroughBrokerIT {

    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = new EmbeddedSchemaRegistry(0).start();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    private static Map<String, Object> producerConfig(KafkaCluster kafka) {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                30_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000,
                "schema.registry.url",
                registry.url());
    }

    @Test
    void shouldDecodeRequestsSentThroughTheBrokerBackEqual(KafkaCluster kafka) {
        String topic = kafka.createUniqueTopic("requests", 3);
        List<ChatRequest> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(
                    i % 2 == 0
                            ? SampleEvents.fullRequest("r-" + i, "thread-" + (i % 5))
                            : SampleEvents.minimalRequest("r-" + i));
        }
        AvroSerializer<ChatRequest> serializer = new AvroSerializer<>();
        serializer.configure(producerConfig(kafka), false);
        try (KafkaProducer<String, ChatRequest> producer =
                new KafkaProducer<>(producerConfig(kafka), new StringSerializer(), serializer)) {
            for (ChatRequest request : sent) {
                producer.send(new ProducerRecord<>(topic, request.getRequestId(), request));
            }
            producer.flush();
        }

        List<ChatRequest> received = readAll(kafka, topic, sent.size());

        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
        try (SchemaRegistryClient client =
                SchemaRegistryClients.create(Map.of("schema.registry.url", registry.url()))) {
            assertThat(client.getLatest(topic + "-value").schema().getFullName())
                    .as("schema registered under the TopicNameStrategy subject")
                    .isEqualTo(ChatRequest.getClassSchema().getFullName());
        }
    }

    @Test
    void shouldDecodeARecordWrittenWithAnOlderCompatibleSchemaVersion(KafkaCluster kafka) throws IOException {
        // Given an older producer that registered version 1 of the subject without metadata, account or createdAt
        String topic = kafka.createUniqueTopic("requests-evolved", 1);
        Schema older = new Schema.Parser().parse("""
                {"type":"record","name":"ChatRequest","namespace":"dev.chatbridge.events","fields":[
                  {"name":"requestId","type":"string"},
                  {"name":"threadId","type":["null","string"],"default":null},
                  {"name":"assistantId","type":["null","string"],"default":null},
                  {"name":"messages","type":{"type":"array","items":{"type":"record","name":"ChatMessage",
                    "fields":[{"name":"role","type":{"type":"enum","name":"MessageRole",
                      "symbols":["User","System","Assistant"]}},{"name":"text","type":["null","string"],"default":null}]}}}
                ]}""");
        int olderId;
        try (SchemaRegistryClient client =
                SchemaRegistryClients.create(Map.of("schema.registry.url", registry.url()))) {
            olderId = client.register(topic + "-value", older);
        }
        GenericRecord old = new GenericData.Record(older);
        old.put("requestId", "r-v1");
        old.put("threadId", "t-1");
        old.put("assistantId", null);
        GenericData.Record message =
                new GenericData.Record(older.getField("messages").schema().getElementType());
        message.put(
                "role",
                new GenericData.EnumSymbol(message.getSchema().getField("role").schema(), "User"));
        message.put("text", "written by an old producer");
        old.put("messages", List.of(message));
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(producerConfig(kafka), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "t-1", framed(olderId, older, old)));
            producer.flush();
        }
        // and a current producer that registers the current schema as version 2 (BACKWARD-compatible)
        ChatRequest current = SampleEvents.fullRequest("r-v2", "t-1");
        AvroSerializer<ChatRequest> serializer = new AvroSerializer<>();
        serializer.configure(producerConfig(kafka), false);
        try (KafkaProducer<String, ChatRequest> producer =
                new KafkaProducer<>(producerConfig(kafka), new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>(topic, "t-1", current));
            producer.flush();
        }

        // When a current consumer reads both
        List<ChatRequest> received = readAll(kafka, topic, 2);

        // Then the old record decodes with the new fields' defaults, and the new one equal
        assertThat(received).hasSize(2);
        ChatRequest decodedOld = received.get(0);
        assertThat(decodedOld.getRequestId()).isEqualTo("r-v1");
        assertThat(decodedOld.getMessages().get(0).getText()).isEqualTo("written by an old producer");
        assertThat(decodedOld.getMetadata()).isEmpty();
        assertThat(decodedOld.getAccount()).isNull();
        assertThat(decodedOld.getCreatedAt()).isNull();
        assertThat(received.get(1)).isEqualTo(current);
    }

    private static List<ChatRequest> readAll(KafkaCluster kafka, String topic, int expected) {
        AvroDeserializer<ChatRequest> deserializer = new AvroDeserializer<>(ChatRequest.class);
        deserializer.configure(Map.of("schema.registry.url", registry.url()), false);
        List<ConsumerRecord<String, ChatRequest>> records = TestClients.readCommitted(
                kafka,
                topic,
                new StringDeserializer(),
                deserializer,
                read -> read.size() >= expected,
                Duration.ofSeconds(60));
        return records.stream().map(ConsumerRecord::value).toList();
    }

    private static byte[] framed(int id, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        byte[] body = out.toByteArray();
        return ByteBuffer.allocate(5 + body.length)
                .put((byte) 0)
                .putInt(id)
                .put(body)
                .array();
    }
}
