package dev.chatbridge.devtools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerdes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The benchmark's floor: the processor users write first, a Kafka Streams app (exactly-once v2) that calls {@code POST
 * /chats/v2} synchronously inside {@code process()}, so each stream thread has one call in flight at a time, and
 * forwards the HTTP status keyed by thread. Run in a child JVM by {@link ChildMain}: {@code blocking <bootstrap>
 * <registry url> <api url> <requests> <output> <application.id> <state dir> <threads>}, the API key in
 * {@value #API_KEY_VARIABLE}. Runs until killed.
 */
public final class BlockingBridge {

    /** The environment variable holding the API key. */
    static final String API_KEY_VARIABLE = "BENCH_API_KEY";

    private BlockingBridge() {}

    /** See the class documentation. */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 8) {
            System.err.println("usage: blocking <bootstrap> <registry url> <api url> <requests> <output>"
                    + " <application.id> <state dir> <threads>");
            System.exit(2);
        }
        String apiUrl = args[2];
        String key = System.getenv(API_KEY_VARIABLE);
        Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[5]);
        p.put(StreamsConfig.STATE_DIR_CONFIG, args[6]);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(args[7]));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        Serde<ChatRequest> requests = AvroSerdes.of(
                ChatRequest.class,
                SchemaRegistryClients.create(Map.of("schema.registry.url", args[1])),
                AvroSerdeConfig.from(Map.of()),
                false);
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(args[3], Consumed.with(Serdes.String(), requests))
                .process(() -> new CallingProcessor(http, URI.create(apiUrl + "/chats/v2"), key))
                .to(args[4], Produced.with(Serdes.String(), Serdes.String()));
        KafkaStreams streams = new KafkaStreams(builder.build(), p);
        CountDownLatch stopped = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(10))));
        streams.start();
        stopped.await();
        System.exit(1);
    }

    /** Calls the API and waits for the whole answer, then forwards its status. Owned by one stream thread. */
    private static final class CallingProcessor implements Processor<String, ChatRequest, String, String> {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final HttpClient http;
        private final URI uri;
        private final String key;
        private ProcessorContext<String, String> context;

        CallingProcessor(HttpClient http, URI uri, String key) {
            this.http = http;
            this.uri = uri;
            this.key = key;
        }

        @Override
        public void init(ProcessorContext<String, String> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, ChatRequest> record) {
            ChatRequest request = record.value();
            String outcome;
            try {
                HttpRequest call = HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + key)
                        .header("Content-Type", "application/json")
                        .header("Accept", "text/event-stream")
                        .header("X-Request-Id", request.getRequestId().toString())
                        .POST(HttpRequest.BodyPublishers.ofString(body(request)))
                        .build();
                HttpResponse<String> response = http.send(call, HttpResponse.BodyHandlers.ofString());
                outcome = Integer.toString(response.statusCode());
            } catch (IOException e) {
                outcome = "error: " + e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during a call", e);
            }
            context.forward(record.withValue(outcome));
        }

        private static String body(ChatRequest request) throws IOException {
            List<Map<String, String>> messages = new ArrayList<>();
            for (ChatMessage m : request.getMessages()) {
                messages.add(Map.of("role", m.getRole().toString(), "text", String.valueOf(m.getText())));
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("messages", messages);
            if (request.getThreadId() != null) {
                body.put("threadId", request.getThreadId().toString());
            }
            return JSON.writeValueAsString(body);
        }
    }
}
