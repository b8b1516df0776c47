package dev.chatbridge.observability;

import ch.qos.logback.core.PropertyDefinerBase;
import dev.chatbridge.config.ChatBridgeConfig;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Chooses the log format for {@code logback.xml} from the values of the setting {@code chat.log.format}
 * ({@link ChatBridgeConfig.LogFormat}, so that logging and the configuration accept the same words): {@code json} (one
 * JSON object per line, for log shippers) or {@code human} (the default). The system property {@value #PROPERTY} wins
 * over the environment variable {@value #ENV}; any other value falls back to human, with a warning in logback's status,
 * and {@code run} refuses it when it checks the configuration.
 *
 * <p>Used by logback's configurator, once, on the thread that configures logging.
 */
public final class LogFormat extends PropertyDefinerBase {

    /** System property that selects the format. */
    public static final String PROPERTY = "chatbridge.log.format";
    /** Environment variable that selects the format. */
    public static final String ENV = "CHAT_BRIDGE_LOG_FORMAT";

    /** For logback. */
    public LogFormat() {}

    @Override
    public String getPropertyValue() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            value = System.getenv(ENV);
        }
        if (value == null || value.isBlank()) {
            return appender(ChatBridgeConfig.LogFormat.HUMAN);
        }
        try {
            return appender(ChatBridgeConfig.LogFormat.valueOf(value.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            addWarn("Unknown log format '" + value + "' in " + PROPERTY + " / " + ENV + "; use one of "
                    + Arrays.stream(ChatBridgeConfig.LogFormat.values())
                            .map(LogFormat::appender)
                            .collect(Collectors.joining(", "))
                    + ". Logging as human.");
            return appender(ChatBridgeConfig.LogFormat.HUMAN);
        }
    }

    /** The name of the appender in {@code logback.xml} for a format: the setting's value in lower case. */
    static String appender(ChatBridgeConfig.LogFormat format) {
        return format.name().toLowerCase(Locale.ROOT);
    }
}
