package dev.chatbridge.config;

import dev.chatbridge.registry.RegistryClientConfig;
import dev.chatbridge.serde.AvroSerdeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Renders {@code docs/configuration.md} from {@link ChatBridgeConfig#DEFINITION} and the registry's and serdes'
 * definitions, so the page cannot drift from the code: {@code ConfigDocsTest} fails when the committed page differs
 * from {@link #markdown()}. Stateless.
 */
public final class ConfigDocs {

    /** Where the page lives in the repository. */
    public static final Path PAGE = Path.of("docs", "configuration.md");

    private ConfigDocs() {}

    /** Writes the page to {@code args[0]}, or to {@link #PAGE} when no argument is given. */
    public static void main(String[] args) throws IOException {
        Path target = args.length > 0 ? Path.of(args[0]) : PAGE;
        Files.writeString(target, markdown(), StandardCharsets.UTF_8);
    }

    /** The whole page. */
    public static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Configuration\n\n")
                .append("<!-- Generated from ChatBridgeConfig.DEFINITION by ConfigDocs; do not edit. Regenerate with\n")
                .append("     ./mvnw -B -o test -Dtest=ConfigDocsTest -Dchatbridge.writeDocs=true -->\n\n")
                .append("chat-bridge reads its own settings (`chat.*`, below) and passes every other key untouched\n")
                .append(
                        "to the Kafka clients, Kafka Streams and the serdes: `bootstrap.servers` (required by `run`),\n")
                .append("`application.id` (default `chat-bridge`; also the consumer group and the prefix of internal\n")
                .append("topics), security settings such as `security.protocol` and `sasl.jaas.config`, and the\n")
                .append("registry settings such as `schema.registry.url` (required by `run`; see the README).\n")
                .append("Kafka Streams' `processing.guarantee` comes from `chat.processing.guarantee`, and\n")
                .append("`max.task.idle.ms` defaults to -1 here, not 0 (every task reads one partition, so there is\n")
                .append("nothing to wait for; see docs/benchmarks.md); a value given for it wins.\n\n")
                .append("## Where settings come from\n\n")
                .append("Highest precedence first:\n\n")
                .append("1. command-line flags: `--set key=value` (repeatable) and named flags such as `--api-url`;\n")
                .append("2. environment variables, by one rule: `CHAT_BRIDGE_FOO_BAR` sets `chat.foo.bar`, and\n")
                .append("   `KAFKA_FOO_BAR` sets `foo.bar` (for example `KAFKA_BOOTSTRAP_SERVERS`,\n")
                .append("   `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_JAAS_CONFIG`, `KAFKA_SCHEMA_REGISTRY_URL`);\n")
                .append("   the Kafka scripts' own variables (`KAFKA_HEAP_OPTS`, `KAFKA_OPTS`, ...) are skipped;\n")
                .append("3. the properties file given with `--config FILE`;\n")
                .append("4. the defaults below.\n\n")
                .append("A `CHAT_BRIDGE_*` variable or `chat.*` key that names no setting is ignored with a warning.\n")
                .append("At startup `run` checks the settings and their relationships and prints one line per\n")
                .append("problem, then logs the effective configuration once with every secret redacted.\n\n")
                .append("## Settings\n\n")
                .append("| key | environment variable | type | default | valid values | description |\n")
                .append("|---|---|---|---|---|---|\n");
        rows(md, ChatBridgeConfig.DEFINITION);
        md.append("\n## Schema registry and serde settings\n\n")
                .append("Confluent's key names, checked by `run` with the settings above. The registry's\n")
                .append("`chat.registry.allow.cleartext` is listed above.\n\n")
                .append("| key | environment variable | type | default | valid values | description |\n")
                .append("|---|---|---|---|---|---|\n");
        ConfigDef registry = new ConfigDef();
        RegistryClientConfig.DEFINITION.configKeys().values().stream()
                .filter(key -> !ChatBridgeConfig.isDefined(key.name))
                .forEach(registry::define);
        rows(md, registry);
        rows(md, AvroSerdeConfig.DEFINITION);
        md.append("\nDurations (`*.ms`) are in milliseconds.\n");
        return md.toString();
    }

    private static void rows(StringBuilder md, ConfigDef definition) {
        for (ConfigDef.ConfigKey key : definition.configKeys().values()) {
            md.append("| `")
                    .append(key.name)
                    .append("` | `")
                    .append(ConfigLoader.envVarFor(key.name))
                    .append("` | ")
                    .append(key.type.name().toLowerCase(Locale.ROOT))
                    .append(" | ")
                    .append(defaultText(key))
                    .append(" | ")
                    .append(key.validator == null ? "" : cell(key.validator.toString()))
                    .append(" | ")
                    .append(cell(key.documentation))
                    .append(" |\n");
        }
    }

    private static String defaultText(ConfigDef.ConfigKey key) {
        if (!key.hasDefault() || key.defaultValue == null) {
            return "";
        }
        return "`" + cell(ConfigDef.convertToString(key.defaultValue, key.type)) + "`";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
