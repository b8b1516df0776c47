package dev.chatbridge.it;

import dev.chatbridge.api.ApiKey;
import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.devtools.Directories;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.StreamsProperties;
import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.MessageRole;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerializer;
import dev.chatbridge.testing.KafkaCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What every engine integration test needs: the API simulator over HTTP, the embedded schema registry, the three topics
 * on the shared broker, a unique application id, settings for {@link ChatBridgeApp} instances with their own state
 * directories, and a producer of requests. {@link #close()} closes the apps it created, the servers, and deletes the
 * state directories.
 *
 * <p>Threading: used by the test thread only.
 */
final class ItFixture implements AutoCloseable {

    static final String API_KEY = "it-key";
    private static final Path STATE_ROOT = Path.of("target", "it-state");

    final KafkaCluster kafka;
    final ApiSimulator simulator;
    final EmbeddedSchemaRegistry registry;
    final String requests;
    final String responses;
    final String deadLetters;
    final String applicationId;
    final int partitions;
    private final SchemaRegistryClient registryClient;
    private final List<Path> stateDirs = new ArrayList<>();
    private final List<ChatBridgeApp> apps = new ArrayList<>();

    private ItFixture(KafkaCluster kafka, SimulatorConfig simulatorConfig, int partitions, int registryPort) {
        this.kafka = kafka;
        this.partitions = partitions;
        this.simulator = new ApiSimulator(simulatorConfig).start();
        this.registry = new EmbeddedSchemaRegistry(registryPort).start();
        this.registryClient = SchemaRegistryClients.create(serdeConfigs());
        this.requests = kafka.uniqueTopic("requests");
        this.responses = kafka.uniqueTopic("responses");
        this.deadLetters = kafka.uniqueTopic("dead-letters");
        kafka.createTopics(Map.of(requests, partitions, responses, partitions, deadLetters, partitions));
        this.applicationId = kafka.uniqueName("app");
    }

    /** Starts the simulator (which must accept {@link #API_KEY}) and the registry, and creates the topics. */
    static ItFixture start(KafkaCluster kafka, SimulatorConfig.Builder simulator, int partitions) {
        return new ItFixture(kafka, simulator.apiKeys(API_KEY).build(), partitions, 0);
    }

    /**
     * As {@link #start}, but the registry listens on a port chosen now and kept, so that the test can stop it
     * ({@code registry.close()}) and serve again at the same URL ({@code registry.start()}).
     */
    static ItFixture startWithFixedRegistryPort(KafkaCluster kafka, SimulatorConfig.Builder simulator, int partitions) {
        return new ItFixture(kafka, simulator.apiKeys(API_KEY).build(), partitions, freeLoopbackPort());
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /** Registry settings for serdes, under Confluent's key names. */
    Map<String, Object> serdeConfigs() {
        return Map.of("schema.registry.url", registry.url());
    }

    /** The registry client the test's own serdes share; closed with the fixture. */
    SchemaRegistryClient registryClient() {
        return registryClient;
    }

    /** Engine settings on the fixture's topics, with short retry and pause backoffs. */
    EngineConfig.Builder engine() {
        return EngineConfig.builder()
                .requestsTopic(requests)
                .responsesTopic(responses)
                .deadLettersTopic(deadLetters)
                .pauseInitialBackoff(Duration.ofMillis(200))
                .pauseMaxBackoff(Duration.ofSeconds(1))
                .retryPolicy(new RetryPolicy(
                        3,
                        Duration.ofMillis(50),
                        Duration.ofMillis(200),
                        Duration.ofSeconds(3),
                        Duration.ofSeconds(30),
                        new Random(7)));
    }

    /** API client settings for the simulator, with a pool as large as {@code maxInFlight}. */
    ChatClientConfig client(int maxInFlight) {
        return ChatClientConfig.builder()
                .baseUrl(simulator.baseUrl())
                .apiKey(ApiKey.of(API_KEY))
                .maxInFlight(maxInFlight)
                .firstByteTimeout(Duration.ofSeconds(20))
                .attemptTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** A fresh state directory under target/, deleted by {@link #close()}. */
    Path newStateDir() {
        try {
            Files.createDirectories(STATE_ROOT);
            Path dir = Files.createTempDirectory(STATE_ROOT.toAbsolutePath(), "state-");
            stateDirs.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A properties file for the {@code run} command in its own JVM: the fixture's Kafka settings with a new state dir,
     * its topics, simulator and registry, {@code maxInFlight}, metrics on a free port and a 30 s drain.
     */
    Path runConfigFile(int maxInFlight) throws IOException {
        Properties p = streamsProps(newStateDir());
        p.put(EngineConfig.KEY_REQUESTS_TOPIC, requests);
        p.put(EngineConfig.KEY_RESPONSES_TOPIC, responses);
        p.put(EngineConfig.KEY_DEAD_LETTERS_TOPIC, deadLetters);
        p.put(EngineConfig.KEY_MAX_IN_FLIGHT, Integer.toString(maxInFlight));
        p.put(ChatBridgeConfig.API_URL, simulator.baseUrl());
        p.put(ChatBridgeConfig.API_KEY, API_KEY);
        p.put(ChatBridgeConfig.METRICS_PORT, "0");
        p.put(ChatBridgeConfig.SHUTDOWN_DRAIN_TIMEOUT, "30000");
        p.put("schema.registry.url", registry.url());
        return ChildJvms.writeProperties(p, applicationId + "-run");
    }

    /**
     * Kafka Streams properties of one instance: exactly-once, the fixture's application id, a 100 ms commit interval, a
     * short poll, and a 6 s session timeout so that a vanished member (killed, or closed without leaving the group) is
     * noticed quickly.
     */
    Properties streamsProps(Path stateDir) {
        Properties p = StreamsProperties.defaults(applicationId, kafka.bootstrapServers(), true);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(StreamsConfig.POLL_MS_CONFIG, "20");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "6000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "1000");
        return p;
    }

    /** Settings of one instance with its own new state directory. */
    ChatBridgeApp.Settings settings(EngineConfig engine) {
        return new ChatBridgeApp.Settings(
                streamsProps(newStateDir()),
                engine,
                client(engine.maxInFlight()),
                serdeConfigs(),
                Duration.ofSeconds(10));
    }

    /** Creates and starts an instance; the fixture closes it if the test did not. */
    ChatBridgeApp startApp(EngineConfig engine) {
        return createApp(engine).start();
    }

    /** Creates an instance, not started (to add listeners first); the fixture closes it if the test did not. */
    ChatBridgeApp createApp(EngineConfig engine) {
        ChatBridgeApp app = ChatBridgeApp.create(settings(engine));
        apps.add(app);
        return app;
    }

    /**
     * As {@link #createApp(EngineConfig)}, with the instance's own registry settings (for example the URL of a relay in
     * front of the registry).
     */
    ChatBridgeApp createApp(EngineConfig engine, Map<String, Object> serdeConfigs) {
        ChatBridgeApp app = ChatBridgeApp.create(new ChatBridgeApp.Settings(
                streamsProps(newStateDir()),
                engine,
                client(engine.maxInFlight()),
                serdeConfigs,
                Duration.ofSeconds(10)));
        apps.add(app);
        return app;
    }

    /** Produces the requests keyed by thread id, in list order, and waits until all are acknowledged. */
    void produce(List<ChatRequest> batch) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                // One batch in flight per partition: right after topic creation a first batch can meet
                // NOT_LEADER_OR_FOLLOWER while later ones land, and the idempotent retry of sequence 0
                // is then refused as out of order until the delivery timeout (seen once in LoadIT).
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (KafkaProducer<String, ChatRequest> producer = new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<ChatRequest>(registryClient, AvroSerdeConfig.from(Map.of()), false))) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (ChatRequest request : batch) {
                sent.add(producer.send(new ProducerRecord<>(requests, request.getThreadId(), request)));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("producing requests failed", e);
        }
    }

    /**
     * {@code threads} conversations of {@code turns} requests each, in production order (turn by turn, all threads per
     * turn). {@code text} gives the text of the last message of a turn.
     */
    static List<ChatRequest> conversations(String prefix, int threads, int turns, TextOf text) {
        List<ChatRequest> out = new ArrayList<>(threads * turns);
        for (int turn = 0; turn < turns; turn++) {
            for (int thread = 0; thread < threads; thread++) {
                out.add(request(prefix + "-t" + thread, prefix + "-t" + thread + "-r" + turn, text.of(thread, turn)));
            }
        }
        return out;
    }

    /** One request of a thread with one user message. */
    static ChatRequest request(String threadId, String requestId, String text) {
        return ChatRequest.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setRole(MessageRole.User)
                        .setText(text)
                        .build()))
                .build();
    }

    /** The text of a turn of a thread. */
    @FunctionalInterface
    interface TextOf {
        String of(int thread, int turn);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (ChatBridgeApp app : apps) {
            try {
                app.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        registryClient.close();
        simulator.close();
        registry.close();
        for (Path dir : stateDirs) {
            deleteTree(dir);
        }
        if (failure != null) {
            throw failure;
        }
    }

    static void deleteTree(Path dir) {
        Directories.deleteRecursively(dir);
    }
}
