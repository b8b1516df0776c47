package dev.chatbridge.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether this instance's local state (the RocksDB copy of the pending table under
 * {@code <state.dir>/<application.id>}) belongs to the pending table's current changelog topic.
 *
 * <p>Kafka Streams restores a store from its changelog only past the offsets it checkpointed locally. When the
 * changelog topic was deleted and created again (the streams reset tool, a {@code reset}, deletes it), a kept state
 * directory still holds the old table, its high-water marks included, and the instance would skip the input the reset
 * means to read again (seen: five of six requests skipped). The topic id of the changelog is therefore written next to
 * the state ({@value #MARKER}) once it is known, and a start whose topic id differs, or cannot be told, or has no
 * marker to compare with, deletes the local state first. That is always safe: the changelog holds the table; the price
 * is one restore of a table of at most {@code chat.max.pending} entries per instance.
 *
 * <p><b>Threading.</b> Not thread-safe; used by {@link ChatBridgeApp} on start and close.
 */
final class LocalStateCheck {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStateCheck.class);

    /** The file, in the application's state directory, that holds the changelog's topic id. */
    static final String MARKER = "chat-bridge-changelog-topic-id";

    private final Path appDir;
    private final String changelog;
    private final Supplier<Optional<String>> currentId;
    private String written;

    /**
     * A check.
     *
     * @param appDir {@code <state.dir>/<application.id>}
     * @param changelog the pending table's changelog topic
     * @param currentId the changelog's topic id now (empty when the topic is absent or cannot be told)
     */
    LocalStateCheck(Path appDir, String changelog, Supplier<Optional<String>> currentId) {
        this.appDir = appDir;
        this.changelog = changelog;
        this.currentId = currentId;
    }

    /**
     * Why the local state must go before Kafka Streams starts, or empty when it may stay (there is none, or it was
     * written for the current changelog topic). Records the current topic id.
     */
    Optional<String> staleBecause() {
        if (!holdsState()) {
            remember(currentId.get());
            return Optional.empty();
        }
        Optional<String> now = currentId.get();
        Optional<String> before = readMarker();
        if (now.isPresent() && before.isPresent() && now.get().equals(before.get())) {
            written = now.get();
            return Optional.empty();
        }
        String why;
        if (now.isEmpty()) {
            why = "the changelog topic " + changelog + " does not exist (deleted by a reset?) or its id cannot be told";
        } else if (before.isEmpty()) {
            why = "it does not say which changelog topic it belongs to (no " + MARKER + ")";
        } else {
            why = "it belongs to an older changelog topic " + changelog + " (id " + before.get() + ", now " + now.get()
                    + "; created again by a reset?)";
        }
        return Optional.of(why);
    }

    /** Records the changelog's topic id once it exists, for the next start to compare with. Idempotent. */
    void rememberCurrent() {
        if (written == null) {
            remember(currentId.get());
        }
    }

    private void remember(Optional<String> id) {
        if (id.isEmpty() || id.get().equals(written)) {
            return;
        }
        try {
            Files.createDirectories(appDir);
            Files.writeString(appDir.resolve(MARKER), id.get() + "\n", StandardCharsets.UTF_8);
            written = id.get();
        } catch (IOException e) {
            LOG.warn(
                    "Could not write {} in {} ({}); the next start restores the pending table from {}",
                    MARKER,
                    appDir,
                    e.toString(),
                    changelog);
        }
    }

    /** Whether Kafka Streams keeps task state here (a task directory such as {@code 0_1}). */
    private boolean holdsState() {
        if (!Files.isDirectory(appDir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(appDir)) {
            return entries.anyMatch(
                    p -> Files.isDirectory(p) && p.getFileName().toString().matches("\\d+_\\d+"));
        } catch (IOException e) {
            return true;
        }
    }

    private Optional<String> readMarker() {
        try {
            return Optional.of(Files.readString(appDir.resolve(MARKER), StandardCharsets.UTF_8)
                            .strip())
                    .filter(s -> !s.isEmpty());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
