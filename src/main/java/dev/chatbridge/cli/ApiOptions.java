package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The API options of {@code run} and {@code demo}. */
public final class ApiOptions {

    @Option(names = "--api-url", paramLabel = "URL", description = "Base URL of the assistant API (chat.api.url).")
    String apiUrl;

    @Option(
            names = "--api-key-file",
            paramLabel = "FILE",
            description = "File holding the API key (chat.api.key.file).")
    String apiKeyFile;

    /** The settings these options give. */
    public Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>();
        if (apiUrl != null) {
            flags.put(ChatBridgeConfig.API_URL, apiUrl);
        }
        if (apiKeyFile != null) {
            flags.put(ChatBridgeConfig.API_KEY_FILE, apiKeyFile);
        }
        return flags;
    }
}
