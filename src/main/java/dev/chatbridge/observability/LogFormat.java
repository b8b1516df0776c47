package dev.chatbridge.observability;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;

/**
 * Chooses the log format for {@code logback.xml}: {@code json} (one JSON object per line, for log shippers) or
 * {@code text} (for humans, the default). The system property {@value #PROPERTY} wins over the environment variable
 * {@value #ENV}; any other value falls back to text, with a warning in logback's status.
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
            return "text";
        }
        String format = value.strip().toLowerCase(Locale.ROOT);
        if (format.equals("json") || format.equals("text")) {
            return format;
        }
        addWarn("Unknown log format '" + value + "' in " + PROPERTY + " / " + ENV
                + "; use json or text. Logging as text.");
        return "text";
    }
}
