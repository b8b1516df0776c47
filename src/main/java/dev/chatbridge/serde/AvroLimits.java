package dev.chatbridge.serde;

import org.apache.avro.SystemLimitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs chat-bridge's defaults for Avro's JVM-wide decoding limits, which Avro reads once, from system properties,
 * when {@link SystemLimitException} is first initialised:
 *
 * <ul>
 *   <li>{@value #STRING_MAX_LENGTH} (default {@value #DEFAULT_STRING_MAX_LENGTH} bytes): longest string,
 *   <li>{@value #BYTES_MAX_LENGTH} (default {@value #DEFAULT_BYTES_MAX_LENGTH} bytes): longest bytes value,
 *   <li>{@value #COLLECTION_ITEMS_MAX_LENGTH} (default {@value #DEFAULT_COLLECTION_ITEMS_MAX_LENGTH}): most items in
 *       one array or map; {@link AvroDeserializer} also applies it to the total of all array and map items in one
 *       record.
 * </ul>
 *
 * <p>Avro's own defaults are about 2^31, which lets a few hostile bytes make it allocate gigabytes. Ours are far above
 * anything a Kafka record can hold (brokers' default {@code message.max.bytes} is 1 MiB), and {@link AvroDeserializer}
 * in any case rejects a claimed length larger than the bytes left in the record. To change a limit, set the JVM system
 * property (for example {@code -Dorg.apache.avro.limits.string.maxLength=33554432}); a value already set is kept.
 *
 * <p>{@link #install()} runs from the static initialisers of the serde's classes, so it runs before they decode
 * anything; it is idempotent and thread-safe. If other code made Avro read its limits before that (any Avro decoding in
 * the JVM does), Avro keeps the values it read: {@link #install()} then logs a warning and returns false.
 * {@link AvroDeserializer} does not depend on that: its decoder applies the limits read here itself.
 */
public final class AvroLimits {

    /** Avro's property for the longest string, in bytes. */
    public static final String STRING_MAX_LENGTH = SystemLimitException.MAX_STRING_LENGTH_PROPERTY;
    /** Avro's property for the longest bytes value. */
    public static final String BYTES_MAX_LENGTH = SystemLimitException.MAX_BYTES_LENGTH_PROPERTY;
    /** Avro's property for the most items in one array or map. */
    public static final String COLLECTION_ITEMS_MAX_LENGTH = SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY;

    /** 16 MiB. */
    public static final int DEFAULT_STRING_MAX_LENGTH = 16 * 1024 * 1024;
    /** 16 MiB. */
    public static final int DEFAULT_BYTES_MAX_LENGTH = 16 * 1024 * 1024;
    /** One million. */
    public static final int DEFAULT_COLLECTION_ITEMS_MAX_LENGTH = 1_000_000;

    private static final Logger LOG = LoggerFactory.getLogger(AvroLimits.class);
    private static final int MAX_STRING = defaultIfUnset(STRING_MAX_LENGTH, DEFAULT_STRING_MAX_LENGTH);
    private static final int MAX_BYTES = defaultIfUnset(BYTES_MAX_LENGTH, DEFAULT_BYTES_MAX_LENGTH);
    private static final int MAX_ITEMS =
            defaultIfUnset(COLLECTION_ITEMS_MAX_LENGTH, DEFAULT_COLLECTION_ITEMS_MAX_LENGTH);
    private static boolean installed;
    private static boolean effective;

    private AvroLimits() {}

    /**
     * Sets each limit property that is not set yet to chat-bridge's default, and checks that Avro uses the limits.
     *
     * @return whether Avro enforces the configured limits (false when it read its limits earlier)
     */
    public static synchronized boolean install() {
        if (installed) {
            return effective;
        }
        installed = true;
        effective = enforced(() -> SystemLimitException.checkMaxStringLength(MAX_STRING + 1L))
                & enforced(() -> SystemLimitException.checkMaxBytesLength(MAX_BYTES + 1L))
                & enforced(() -> SystemLimitException.checkMaxCollectionLength(MAX_ITEMS + 1L));
        if (!effective) {
            LOG.warn(
                    "Avro read its decoding limits before chat-bridge could set them, so Avro code other than"
                            + " chat-bridge's deserializer may use limits as high as 2^31; set them as JVM options to be"
                            + " sure: -D{}=… -D{}=… -D{}=…",
                    STRING_MAX_LENGTH,
                    BYTES_MAX_LENGTH,
                    COLLECTION_ITEMS_MAX_LENGTH);
        }
        return effective;
    }

    /** The longest string chat-bridge's deserializer accepts, in bytes. */
    static int maxStringLength() {
        return MAX_STRING;
    }

    /** The longest bytes value chat-bridge's deserializer accepts. */
    static int maxBytesLength() {
        return MAX_BYTES;
    }

    /** The most array and map items chat-bridge's deserializer accepts in one record. */
    static int maxCollectionItems() {
        return MAX_ITEMS;
    }

    private static int defaultIfUnset(String property, int defaultValue) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            System.setProperty(property, Integer.toString(defaultValue));
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            return parsed > 0 && parsed < Integer.MAX_VALUE ? parsed : defaultValue;
        } catch (NumberFormatException e) {
            // Avro itself rejects such a value when it reads it; say which one here.
            LOG.warn("JVM system property {}={} is not a positive whole number", property, value);
            return defaultValue;
        }
    }

    private static boolean enforced(Runnable overLimit) {
        try {
            overLimit.run();
            return false;
        } catch (SystemLimitException e) {
            return true;
        }
    }
}
