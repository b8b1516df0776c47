package dev.chatbridge.cli;

import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.observability.OpsServer;
import dev.chatbridge.observability.ServiceRegistry;

/**
 * A started instance with its meter registry and its ops server ({@code /metrics}, {@code /health/live},
 * {@code /health/ready}). Closing drains and stops the instance first, then the ops server and the registry, so health
 * answers until the very end.
 */
public record RunningService(ChatBridgeApp app, ServiceRegistry metrics, OpsServer ops, String opsHost)
        implements AutoCloseable {

    /** The base URL of the ops server, for example {@code http://127.0.0.1:9404}. */
    public String opsUrl() {
        return "http://" + opsHost + ":" + ops.port();
    }

    @Override
    public void close() {
        try {
            app.close();
        } finally {
            try {
                ops.close();
            } finally {
                metrics.close();
            }
        }
    }
}
