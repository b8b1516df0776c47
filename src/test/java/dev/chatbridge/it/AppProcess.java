package dev.chatbridge.it;

import dev.chatbridge.api.ApiKey;
import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.engine.EngineConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A chat-bridge instance as a separate JVM, for tests that kill it: {@code AppProcess <file>}
 * reads one properties file (Kafka Streams keys, {@code chat.*} engine keys,
 * {@code schema.registry.url}, and {@value #BASE_URL} / {@value #API_KEY} for the API), starts
 * {@link ChatBridgeApp}, prints {@code STARTED}, then a status line every 500 ms until it is
 * killed. SIGTERM closes the app gracefully (shutdown hook); SIGKILL does not. It exits by
 * itself when the test JVM that started it is gone, so a crashed test run leaves no orphan.
 *
 * <p>Threading: the main thread prints; the shutdown hook closes.
 */
public final class AppProcess {

    static final String BASE_URL = "it.api.base.url";
    static final String API_KEY = "it.api.key";
    static final String REGISTRY_URL = "schema.registry.url";

    private AppProcess() {
    }

    /** Runs until killed. */
    public static void main(String[] args) throws IOException, InterruptedException {
        Properties all = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            all.load(in);
        }
        Properties streams = new Properties();
        all.stringPropertyNames().stream()
                .filter(k -> !k.startsWith("chat.") && !k.startsWith("it.") && !k.equals(REGISTRY_URL))
                .forEach(k -> streams.put(k, all.getProperty(k)));
        EngineConfig engine = EngineConfig.fromProperties(all);
        ChatClientConfig client = ChatClientConfig.builder()
                .baseUrl(all.getProperty(BASE_URL))
                .apiKey(ApiKey.of(all.getProperty(API_KEY)))
                .maxInFlight(engine.maxInFlight())
                .build();
        ChatBridgeApp app = ChatBridgeApp.create(new ChatBridgeApp.Settings(streams, engine, client,
                Map.of(REGISTRY_URL, all.getProperty(REGISTRY_URL)), Duration.ofSeconds(5)));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "app-close"));
        app.start();
        System.out.println("STARTED pid=" + ProcessHandle.current().pid());
        ProcessHandle parent = ProcessHandle.current().parent().orElseThrow();
        while (true) {
            TimeUnit.MILLISECONDS.sleep(500);
            if (!parent.isAlive()) {
                System.out.println("PARENT GONE: exiting");
                System.exit(2);
            }
            System.out.println("STATUS state=" + app.streams().state() + " inFlight="
                    + app.resources().limiter().inUse() + " pending=" + app.resources().pending().get());
        }
    }
}
