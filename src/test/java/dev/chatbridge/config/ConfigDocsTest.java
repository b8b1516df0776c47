package dev.chatbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ConfigDocsTest {

    private static final String REGENERATE = "./mvnw -B -o test -Dtest=ConfigDocsTest -Dchatbridge.writeDocs=true";

    @Test
    void shouldMatchTheCommittedConfigurationPage() throws IOException {
        String rendered = ConfigDocs.markdown();
        if (Boolean.getBoolean("chatbridge.writeDocs")) {
            ConfigDocs.main(new String[] {ConfigDocs.PAGE.toString()});
        }
        String committed =
                Files.exists(ConfigDocs.PAGE) ? Files.readString(ConfigDocs.PAGE, StandardCharsets.UTF_8) : "";
        assertThat(committed)
                .as(
                        "docs/configuration.md is stale: it must be what ConfigDocs renders from ChatBridgeConfig.DEFINITION. "
                                + "Regenerate it with: " + REGENERATE)
                .isEqualTo(rendered);
    }

    @Test
    void shouldListEverySettingWithItsEnvironmentVariable() {
        String page = ConfigDocs.markdown();
        for (String key : ChatBridgeConfig.DEFINITION.names()) {
            assertThat(page).contains("| `" + key + "` | `" + ConfigLoader.envVarFor(key) + "` |");
        }
        assertThat(page).contains("| `chat.max.in.flight` | `CHAT_BRIDGE_MAX_IN_FLIGHT` | int | `64` |");
    }
}
