package dev.chatbridge.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Objects;

/**
 * The secret key of the /chats/v2 API. Its value is only ever handed to the HTTP client for the {@code Authorization}
 * header: {@link #toString()} is redacted and no message of this class contains it.
 *
 * <p>A valid key is non-empty after trimming and made of visible ASCII characters only (it goes into an HTTP header).
 */
public final class ApiKey {

    private final String value;

    private ApiKey(String value, String origin) {
        String trimmed = value.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("the API key from " + origin + " is empty");
        }
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("the API key from " + origin
                        + " contains a character that an HTTP header cannot carry, at position " + i);
            }
        }
        this.value = trimmed;
    }

    /** A key given directly (trimmed). */
    public static ApiKey of(String value) {
        Objects.requireNonNull(value, "value");
        return new ApiKey(value, "the given value");
    }

    /** A key read from a UTF-8 file (trimmed), for example a mounted Kubernetes secret. */
    public static ApiKey fromFile(Path path) {
        Objects.requireNonNull(path, "path");
        try {
            return new ApiKey(Files.readString(path, StandardCharsets.UTF_8), "file " + path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API key file " + path, e);
        }
    }

    /** A key read from the process environment variable {@code name} (trimmed). */
    public static ApiKey fromEnvironment(String name) {
        return fromEnvironment(name, System.getenv());
    }

    /** A key read from the variable {@code name} of {@code environment} (trimmed). */
    public static ApiKey fromEnvironment(String name, Map<String, String> environment) {
        Objects.requireNonNull(name, "name");
        String value = environment.get(name);
        if (value == null) {
            throw new IllegalArgumentException("the environment variable " + name + " holding the API key is not set");
        }
        return new ApiKey(value, "environment variable " + name);
    }

    /** The secret itself, for the Authorization header only. */
    String secret() {
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ApiKey key
                && MessageDigest.isEqual(
                        value.getBytes(StandardCharsets.US_ASCII), key.value.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "ApiKey[redacted]";
    }
}
