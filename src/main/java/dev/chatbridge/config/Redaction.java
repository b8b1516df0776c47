package dev.chatbridge.config;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

/**
 * The effective configuration as text for the startup log, with every secret replaced by
 * {@value #REDACTED}: chat-bridge's password settings, and any key that names a password,
 * secret, token, JAAS config, user info, credentials or a private key; credentials in a URL's
 * user info too. Stateless.
 */
public final class Redaction {

    /** What a secret value is shown as. */
    public static final String REDACTED = "[redacted]";

    private static final Pattern SECRET_KEY = Pattern.compile(
            ".*(password|secret|token|jaas|user\\.info|credentials(?!\\.source)|\\.key$|api\\.key).*");
    private static final Pattern URL_USER_INFO = Pattern.compile("(://)[^/@\\s]+@");

    private Redaction() {
    }

    /** Whether the value of {@code key} is a secret. */
    public static boolean isSecret(String key) {
        ConfigDef.ConfigKey defined = ChatBridgeConfig.DEFINITION.configKeys().get(key);
        if (defined != null) {
            return defined.type == ConfigDef.Type.PASSWORD;
        }
        return SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    /** {@code value} as it may be shown for {@code key}. */
    public static String show(String key, Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Password || isSecret(key)) {
            return REDACTED;
        }
        return URL_USER_INFO.matcher(value.toString()).replaceAll("$1" + REDACTED + "@");
    }

    /** Every setting, one {@code key = value} line each, sorted, secrets redacted. */
    public static String effectiveConfiguration(ChatBridgeConfig config) {
        Map<String, String> lines = new TreeMap<>();
        config.values().forEach((k, v) -> lines.put(k, show(k, v)));
        config.kafkaSettings().forEach((k, v) -> lines.put(k, show(k, v)));
        StringBuilder sb = new StringBuilder();
        lines.forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }
}
