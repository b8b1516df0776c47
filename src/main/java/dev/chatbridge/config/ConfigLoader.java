package dev.chatbridge.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where settings come from and which wins: command-line flags, then environment variables, then the properties file
 * ({@code --config FILE}), then the defaults of {@link ChatBridgeConfig#DEFINITION}.
 *
 * <p><b>Environment rule.</b> {@code CHAT_BRIDGE_FOO_BAR} sets {@code chat.foo.bar} (lower case, {@code _} becomes
 * {@code .}); {@code KAFKA_FOO_BAR} sets {@code foo.bar}, passed to the Kafka clients, Kafka Streams and the serdes (so
 * {@code KAFKA_BOOTSTRAP_SERVERS}, {@code KAFKA_SASL_JAAS_CONFIG}, {@code KAFKA_SCHEMA_REGISTRY_URL}). The Kafka tools'
 * own variables ({@link #KAFKA_TOOL_VARIABLES}, such as {@code KAFKA_HEAP_OPTS}) are not settings and are skipped.
 * Other variables are ignored.
 *
 * <p>A {@code CHAT_BRIDGE_*} variable or a {@code chat.*} key that names no setting is dropped with a warning (usually
 * a typo). Stateless; the environment is passed in, never read here.
 */
public final class ConfigLoader {

    /** Prefix of environment variables that set chat-bridge's settings. */
    public static final String CHAT_ENV_PREFIX = "CHAT_BRIDGE_";
    /** Prefix of environment variables that set Kafka, Streams and serde settings. */
    public static final String KAFKA_ENV_PREFIX = "KAFKA_";
    /** Variables of Kafka's own scripts and images that are not client settings. */
    public static final Set<String> KAFKA_TOOL_VARIABLES = Set.of(
            "KAFKA_HEAP_OPTS",
            "KAFKA_OPTS",
            "KAFKA_JVM_PERFORMANCE_OPTS",
            "KAFKA_JMX_OPTS",
            "KAFKA_LOG4J_OPTS",
            "KAFKA_GC_LOG_OPTS",
            "KAFKA_DEBUG",
            "KAFKA_HOME",
            "KAFKA_VERSION");

    /**
     * The merged settings and what was dropped on the way.
     *
     * @param settings every key with the value that won, Kafka settings included
     * @param warnings one line per ignored variable or key
     */
    public record Loaded(Map<String, String> settings, List<String> warnings) {
        public Loaded {
            settings = Map.copyOf(settings);
            warnings = List.copyOf(warnings);
        }

        /** Parses the merged settings. */
        public ChatBridgeConfig parse() {
            return ChatBridgeConfig.parse(settings);
        }
    }

    private static final Pattern SETTING_NAME = Pattern.compile("[a-z][a-z0-9]*(?:\\.[a-z0-9]+)+");

    private ConfigLoader() {}

    /**
     * Merges the sources, highest precedence first.
     *
     * @param flags settings given on the command line ({@code --set key=value} and named flags)
     * @param environment the process environment (pass {@code System.getenv()} from main only)
     * @param file a properties file, or null
     * @throws UncheckedIOException when the file cannot be read (the message names it)
     */
    public static Loaded load(Map<String, String> flags, Map<String, String> environment, Path file) {
        List<String> warnings = new ArrayList<>();
        Map<String, String> merged = new TreeMap<>();
        if (file != null) {
            fromFile(file).forEach((k, v) -> merged.put(k, v));
        }
        merged.putAll(fromEnvironment(environment, warnings));
        merged.putAll(flags);
        merged.keySet().removeIf(key -> {
            if (key.startsWith(ChatBridgeConfig.PREFIX) && !ChatBridgeConfig.isDefined(key)) {
                warnings.add(
                        "unknown setting " + key + " ignored (not a chat-bridge setting; see docs/configuration.md)");
                return true;
            }
            return false;
        });
        return new Loaded(merged, warnings);
    }

    /** The settings the environment gives under the rule above; unknown {@code CHAT_BRIDGE_*} go to warnings. */
    static Map<String, String> fromEnvironment(Map<String, String> environment, List<String> warnings) {
        Map<String, String> settings = new TreeMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(CHAT_ENV_PREFIX) && name.length() > CHAT_ENV_PREFIX.length()) {
                String key = ChatBridgeConfig.PREFIX + dotted(name.substring(CHAT_ENV_PREFIX.length()));
                if (ChatBridgeConfig.isDefined(key)) {
                    settings.put(key, value);
                } else {
                    warnings.add("unknown environment variable " + name + " ignored (it would set " + key
                            + ", which is not a chat-bridge setting; see docs/configuration.md)");
                }
            } else if (name.startsWith(KAFKA_ENV_PREFIX)
                    && name.length() > KAFKA_ENV_PREFIX.length()
                    && !KAFKA_TOOL_VARIABLES.contains(name)) {
                settings.put(dotted(name.substring(KAFKA_ENV_PREFIX.length())), value);
            }
        });
        return settings;
    }

    /** The environment variable that sets {@code key}: {@code CHAT_BRIDGE_*} for chat.* keys, else {@code KAFKA_*}. */
    public static String envVarFor(String key) {
        String upper = key.toUpperCase(Locale.ROOT).replace('.', '_');
        return key.startsWith(ChatBridgeConfig.PREFIX)
                ? CHAT_ENV_PREFIX + upper.substring(ChatBridgeConfig.PREFIX.length())
                : KAFKA_ENV_PREFIX + upper;
    }

    /**
     * {@code problem} with the environment variable of the first setting it names appended, unless the line names that
     * variable already; lines that name no setting of chat-bridge, the registry client or the serdes are left as they
     * are.
     */
    public static String withEnvironmentVariable(String problem) {
        Matcher words = SETTING_NAME.matcher(problem);
        while (words.find()) {
            String key = words.group();
            if (ChatBridgeConfig.isDefined(key) || ServiceSettings.isSerdeKey(key)) {
                String variable = envVarFor(key);
                return problem.contains(variable) ? problem : problem + " (" + variable + ")";
            }
        }
        return problem;
    }

    private static String dotted(String envSuffix) {
        return envSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static Map<String, String> fromFile(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the configuration file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> settings = new TreeMap<>();
        props.stringPropertyNames()
                .forEach(k -> settings.put(k.trim(), props.getProperty(k).trim()));
        return settings;
    }
}
