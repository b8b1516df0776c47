package dev.chatbridge.testing;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.config.ServiceSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code run}'s settings for an app that is built but asks no broker or registry: both point at the discard port of
 * loopback, where nothing listens.
 */
public final class OfflineSettings {

    private OfflineSettings() {}

    /** The settings, through the service's own loader, with the given state directory and API. */
    public static ChatBridgeApp.Settings forRun(Path stateDir, String apiUrl, String apiKey) {
        return ServiceSettings.forRun(ConfigLoader.load(
                        Map.of(),
                        Map.of(
                                "KAFKA_BOOTSTRAP_SERVERS",
                                "127.0.0.1:9",
                                "KAFKA_SCHEMA_REGISTRY_URL",
                                "http://127.0.0.1:9",
                                "KAFKA_STATE_DIR",
                                stateDir.toString(),
                                "CHAT_BRIDGE_API_URL",
                                apiUrl,
                                "CHAT_BRIDGE_API_KEY",
                                apiKey),
                        null)
                .parse());
    }
}
