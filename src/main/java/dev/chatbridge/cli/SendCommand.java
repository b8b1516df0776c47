package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.events.ChatRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code chat-bridge send}: JSON lines to Avro ChatRequest events. */
@Command(
        name = "send",
        mixinStandardHelpOptions = true,
        description = {
            "Publishes chat requests given as JSON lines (stdin or --file), keyed by thread, for example:",
            "  {\"requestId\":\"r1\",\"threadId\":\"t1\",\"messages\":[{\"role\":\"User\",\"text\":\"Hello\"}]}",
            "A bad line is reported with its line number and skipped; the others are sent.",
            "Exit codes: 0 every line sent, 1 some lines skipped or not sent, 2 bad configuration."
        })
final class SendCommand implements Callable<Integer> {

    private static final long SEND_TIMEOUT_SECONDS = 60;

    private final CliContext context;

    @Mixin
    ConfigOptions config;

    @Option(names = "--file", paramLabel = "FILE", description = "Read the JSON lines from FILE instead of stdin.")
    Path file;

    @Option(
            names = "--topic",
            paramLabel = "TOPIC",
            description = "Topic to publish to (default: chat.topics.requests).")
    String topic;

    SendCommand(CliContext context) {
        this.context = context;
    }

    /**
     * Parses every line of {@code reader}, hands each request to {@code sink} in order, reports each bad line on
     * {@code err} with its number; returns how many lines were skipped.
     */
    static int readLines(BufferedReader reader, PrintWriter err, Consumer<ChatRequest> sink) throws IOException {
        int skipped = 0;
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            Object parsed = RequestJson.parse(line);
            if (parsed instanceof RequestJson.BadLine bad) {
                err.println("line " + number + ": " + bad.problem() + "; skipped");
                skipped++;
            } else {
                sink.accept((ChatRequest) parsed);
            }
        }
        return skipped;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        ChatBridgeConfig parsed = config.loadForKafkaClient(context);
        if (parsed == null) {
            return RunCommand.CONFIG_ERROR;
        }
        String target = topic != null ? topic : parsed.engine().requestsTopic();
        int sent = 0;
        int skipped = 0;
        List<Future<RecordMetadata>> pending = new ArrayList<>();
        try (BufferedReader reader = file != null
                        ? Files.newBufferedReader(file, StandardCharsets.UTF_8)
                        : new BufferedReader(new InputStreamReader(context.in(), StandardCharsets.UTF_8));
                KafkaProducer<String, ChatRequest> producer = KafkaIo.requestProducer(parsed)) {
            skipped = readLines(
                    reader,
                    context.err(),
                    request -> pending.add(
                            producer.send(new ProducerRecord<>(target, RequestJson.threadKey(request), request))));
            producer.flush();
            for (Future<RecordMetadata> f : pending) {
                try {
                    f.get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    sent++;
                } catch (ExecutionException | TimeoutException e) {
                    context.err()
                            .println("not sent: "
                                    + (e.getCause() != null ? e.getCause().getMessage() : e.toString()));
                }
            }
        }
        int failed = pending.size() - sent;
        context.err()
                .println("sent " + sent + " request(s) to " + target
                        + (skipped > 0 ? ", skipped " + skipped + " bad line(s)" : "")
                        + (failed > 0 ? ", " + failed + " not sent" : ""));
        return skipped == 0 && failed == 0 ? 0 : 1;
    }
}
