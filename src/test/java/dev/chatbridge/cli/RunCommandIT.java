package dev.chatbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatbridge.devtools.registry.EmbeddedSchemaRegistry;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.testing.KafkaCluster;
import dev.chatbridge.testing.WithKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code run}, {@code send} and {@code tail} as a user runs them, against a real broker, registry and simulator. */
@WithKafka
@Timeout(240)
class RunCommandIT {

    private static EmbeddedSchemaRegistry registry;
    private static ApiSimulator simulator;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRegistryAndApi() {
        registry = new EmbeddedSchemaRegistry(0).start();
        simulator = new ApiSimulator(SimulatorConfig.builder().apiKeys("it-key").build()).start();
    }

    @AfterAll
    static void stop() {
        simulator.close();
        registry.close();
    }

    private Map<String, String> environment(KafkaCluster kafka) {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("KAFKA_SCHEMA_REGISTRY_URL", registry.url());
        env.put("KAFKA_APPLICATION_ID", kafka.uniqueName("app"));
        env.put("KAFKA_STATE_DIR", dir.resolve("state").toString());
        env.put("CHAT_BRIDGE_API_URL", simulator.baseUrl());
        env.put("CHAT_BRIDGE_API_KEY", "it-key");
        env.put("CHAT_BRIDGE_TOPICS_REQUESTS", kafka.uniqueTopic("requests"));
        env.put("CHAT_BRIDGE_TOPICS_RESPONSES", kafka.uniqueTopic("responses"));
        env.put("CHAT_BRIDGE_TOPICS_DEAD_LETTERS", kafka.uniqueTopic("dead-letters"));
        env.put("CHAT_BRIDGE_TOPICS_PARTITIONS", "2");
        env.put("CHAT_BRIDGE_TOPICS_REPLICATION_FACTOR", "1");
        env.put("CHAT_BRIDGE_METRICS_PORT", "0");
        return env;
    }

    @Test
    void shouldRefuseToStartNamingTheMissingTopicsAndTheSettingThatCreatesThem(KafkaCluster kafka) {
        Map<String, String> env = environment(kafka);
        CliRun cli = new CliRun(env);

        int code = cli.execute("run");

        assertThat(code).isEqualTo(RunCommand.CONFIG_ERROR);
        assertThat(cli.err())
                .contains(
                        env.get("CHAT_BRIDGE_TOPICS_REQUESTS"),
                        env.get("CHAT_BRIDGE_TOPICS_RESPONSES"),
                        "do not exist",
                        "chat.topics.create=true",
                        "CHAT_BRIDGE_TOPICS_CREATE=true");
    }

    @Test
    void shouldRefuseToStartWithOneLineNamingTheFixWhenATopicCannotHoldTheLargestResponse(KafkaCluster kafka)
            throws Exception {
        // Given the three topics, the responses topic with a max.message.bytes below chat.response.max.bytes
        Map<String, String> env = environment(kafka);
        String responses = env.get("CHAT_BRIDGE_TOPICS_RESPONSES");
        kafka.adminClient()
                .createTopics(List.of(
                        new NewTopic(env.get("CHAT_BRIDGE_TOPICS_REQUESTS"), 1, (short) 1),
                        new NewTopic(responses, 1, (short) 1).configs(Map.of("max.message.bytes", "500000")),
                        new NewTopic(env.get("CHAT_BRIDGE_TOPICS_DEAD_LETTERS"), 1, (short) 1)))
                .all()
                .get(30, TimeUnit.SECONDS);
        CliRun cli = new CliRun(env);

        // When run starts
        int code = cli.execute("run");

        // Then it exits 2 with one line that names the keys, their values and both fixes
        assertThat(code).as("exit code; stderr: %s", cli.err()).isEqualTo(RunCommand.CONFIG_ERROR);
        List<String> errors =
                cli.err().lines().filter(line -> line.startsWith("error: ")).toList();
        assertThat(errors)
                .singleElement()
                .asString()
                .contains(
                        "chat.response.max.bytes=1000000",
                        "max.message.bytes=500000 of topic " + responses,
                        "lower chat.response.max.bytes (CHAT_BRIDGE_RESPONSE_MAX_BYTES) to at most 491808",
                        "raise the topic's max.message.bytes to at least 1008192");
        assertThat(cli.err()).doesNotContain("chat-bridge running");
    }

    @Test
    void shouldAnswerSentRequestsShowThemInTailAndStopGracefullyWithExitZero(KafkaCluster kafka) throws Exception {
        // Given the service running with topic creation on
        Map<String, String> env = environment(kafka);
        env.put("CHAT_BRIDGE_TOPICS_CREATE", "true");
        CliRun service = new CliRun(env);
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> service.execute("run"));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> run.isDone() || service.err().contains("chat-bridge running"));
        assertThat(run).as("run is still running; stderr: %s", service.err()).isNotDone();

        // When three lines are sent, one of them bad
        Path requests = Files.writeString(
                dir.resolve("requests.jsonl"),
                String.join(
                        "\n",
                        "{\"requestId\":\"r1\",\"threadId\":\"t1\",\"messages\":[{\"role\":\"User\",\"text\":\"Hello\"}]}",
                        "{\"requestId\":\"r2\",\"threadId\":\"t1\",\"messages\":[{\"role\":\"User\"",
                        "{\"requestId\":\"r3\",\"threadId\":\"t2\",\"messages\":[{\"role\":\"User\",\"text\":\"Bad #fault:400\"}]}"));
        CliRun send = new CliRun(env);
        int sendCode = send.execute("send", "--file", requests.toString());

        // Then the bad line is reported and skipped, the others are sent
        assertThat(sendCode).isEqualTo(1);
        assertThat(send.err()).contains("line 2: not JSON", "skipped", "sent 2 request(s)");

        // And tail shows one outcome for each sent request
        List<JsonNode> lines = new ArrayList<>();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    CliRun tail = new CliRun(env);
                    assertThat(tail.execute("tail", "--from-beginning", "--timeout", "10"))
                            .isZero();
                    lines.clear();
                    for (String line : tail.out().lines().toList()) {
                        lines.add(AvroJson.MAPPER.readTree(line));
                    }
                    return lines.size() >= 2;
                });
        assertThat(lines).hasSize(2);
        Map<String, JsonNode> byRequest = new HashMap<>();
        lines.forEach(l -> byRequest.put(l.get("value").get("requestId").asText(), l));
        assertThat(byRequest.keySet()).isEqualTo(Set.of("r1", "r3"));
        assertThat(byRequest.get("r1").get("topic").asText()).isEqualTo(env.get("CHAT_BRIDGE_TOPICS_RESPONSES"));
        assertThat(byRequest.get("r1").get("key").asText()).isEqualTo("t1");
        assertThat(byRequest.get("r1").get("value").get("text").asText()).isNotBlank();
        assertThat(byRequest.get("r3").get("value").get("reason").asText()).isEqualTo("BAD_REQUEST");
        assertThat(byRequest.get("r3").get("value").get("problem").get("status").asInt())
                .isEqualTo(400);

        // When a stop is requested (what SIGTERM triggers), Then run drains, closes and returns 0
        service.context().requestStop();
        assertThat(run.get(90, TimeUnit.SECONDS))
                .as("run exit code; stderr: %s", service.err())
                .isZero();
        assertThat(service.err()).contains("chat-bridge stopped");
    }

    @Test
    void shouldExitOneNamingTheExceptionAsSoonAsKafkaStreamsStopsTheInstance(KafkaCluster kafka) throws Exception {
        // Given the service running and ready
        Map<String, String> env = environment(kafka);
        env.put("CHAT_BRIDGE_TOPICS_CREATE", "true");
        CliRun service = new CliRun(env);
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> service.execute("run"));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> run.isDone() || service.err().contains("chat-bridge running"));
        assertThat(run).as("run is still running; stderr: %s", service.err()).isNotDone();
        Matcher ops = Pattern.compile("metrics and health on (http://\\S+);").matcher(service.err());
        assertThat(ops.find()).as("ops address in: %s", service.err()).isTrue();
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(ops.group(1) + "/health/ready"))
                .build();
        await("ready")
                .atMost(Duration.ofSeconds(90))
                .until(() ->
                        http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);

        // When its input topic is deleted (Kafka Streams stops the client: a source topic is missing)
        kafka.adminClient()
                .deleteTopics(List.of(env.get("CHAT_BRIDGE_TOPICS_REQUESTS")))
                .all()
                .get(30, TimeUnit.SECONDS);

        // Then run, woken by the state change, closes and exits 1 naming the exception; no stop was requested
        assertThat(run.get(120, TimeUnit.SECONDS))
                .as("run exit code; stderr: %s", service.err())
                .isEqualTo(1);
        assertThat(service.context().stopRequested()).isFalse();
        assertThat(service.err())
                .contains("error: Kafka Streams stopped unexpectedly (state ")
                .contains("MissingSourceTopicException");
    }
}
