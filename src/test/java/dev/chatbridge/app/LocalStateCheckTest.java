package dev.chatbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStateCheckTest {

    private static final String CHANGELOG = "app-pending-requests-changelog";

    @TempDir
    Path stateDir;

    private final AtomicReference<Optional<String>> topicId = new AtomicReference<>(Optional.of("id-1"));

    private LocalStateCheck check() {
        return new LocalStateCheck(stateDir.resolve("app"), CHANGELOG, topicId::get);
    }

    private void taskState() throws Exception {
        Files.createDirectories(stateDir.resolve("app").resolve("0_1").resolve("rocksdb"));
    }

    private String marker() throws Exception {
        return Files.readString(stateDir.resolve("app").resolve(LocalStateCheck.MARKER), StandardCharsets.UTF_8)
                .strip();
    }

    @Test
    void shouldKeepNoStateAndRememberTheTopicWhenThereIsNoLocalState() throws Exception {
        assertThat(check().staleBecause()).isEmpty();
        assertThat(marker()).isEqualTo("id-1");
    }

    @Test
    void shouldKeepStateWrittenForTheCurrentChangelogTopic() throws Exception {
        taskState();
        check().rememberCurrent();

        assertThat(check().staleBecause()).isEmpty();
    }

    @Test
    void shouldDropStateOfAChangelogTopicThatWasCreatedAgain() throws Exception {
        taskState();
        check().rememberCurrent();
        topicId.set(Optional.of("id-2"));

        assertThat(check().staleBecause())
                .hasValueSatisfying(why -> assertThat(why).contains(CHANGELOG, "id-1", "id-2"));
    }

    @Test
    void shouldDropStateWhenTheChangelogTopicIsGoneOrUnknown() throws Exception {
        taskState();
        check().rememberCurrent();
        topicId.set(Optional.empty());

        assertThat(check().staleBecause())
                .hasValueSatisfying(why -> assertThat(why).contains("does not exist"));
    }

    @Test
    void shouldDropStateThatDoesNotSayWhichTopicItBelongsTo() throws Exception {
        taskState();

        assertThat(check().staleBecause())
                .hasValueSatisfying(why -> assertThat(why).contains(LocalStateCheck.MARKER));
    }

    @Test
    void shouldRememberTheTopicOnceItExists() throws Exception {
        topicId.set(Optional.empty());
        LocalStateCheck check = check();
        assertThat(check.staleBecause()).isEmpty();
        assertThat(stateDir.resolve("app").resolve(LocalStateCheck.MARKER)).doesNotExist();

        topicId.set(Optional.of("id-3"));
        check.rememberCurrent();

        assertThat(marker()).isEqualTo("id-3");
    }
}
