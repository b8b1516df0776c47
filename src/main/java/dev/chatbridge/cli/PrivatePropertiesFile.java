package dev.chatbridge.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Properties;

/**
 * A temporary properties file readable by this user only (0600), for settings that may carry secrets (SASL JAAS
 * configuration, key store passwords) and must reach a tool that reads them from a file. Created in
 * {@code java.io.tmpdir}; {@link #close()} deletes it.
 */
final class PrivatePropertiesFile implements AutoCloseable {

    private final Path path;

    private PrivatePropertiesFile(Path path) {
        this.path = path;
    }

    /**
     * Writes {@code settings} to a new file that only this user may read or write.
     *
     * @throws UncheckedIOException when the file cannot be created or written (nothing is left behind)
     */
    static PrivatePropertiesFile write(Map<String, String> settings) {
        Path file;
        try {
            file = Files.createTempFile(
                    "chat-bridge-reset-",
                    ".properties",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create a temporary file in " + System.getProperty("java.io.tmpdir")
                            + " for the reset tool's client settings: " + e.getMessage(),
                    e);
        }
        Properties props = new Properties();
        props.putAll(settings);
        // The byte-stream form escapes every non-Latin-1 character, as Properties.load(InputStream) (the tool's
        // Utils.loadProps) expects.
        try (OutputStream o = Files.newOutputStream(file)) {
            props.store(o, null);
        } catch (IOException e) {
            delete(file);
            throw new UncheckedIOException(
                    "cannot write the reset tool's client settings to " + file + ": " + e.getMessage(), e);
        }
        return new PrivatePropertiesFile(file);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        delete(path);
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot delete " + file + " (it holds Kafka client settings): " + e.getMessage(), e);
        }
    }
}
