package dev.chatbridge.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The one set of checks every configuration class uses: parsing settings against a {@link ConfigDef} (type, default,
 * range) and the few checks of built values a definition cannot express. Each check adds one line per problem to a list
 * instead of throwing, so that a caller reports every problem at once
 * ({@link InvalidConfigurationException#throwIfAny(List)}). Stateless.
 */
public final class SettingChecks {

    private SettingChecks() {}

    /**
     * Every setting of {@code definition}, parsed from {@code given} (strings or typed values): the default for those
     * absent, nothing for those that are bad, each of which adds a line naming the setting, the value and what is
     * valid. Keys of {@code given} that {@code definition} does not have are ignored.
     */
    public static Map<String, Object> parse(ConfigDef definition, Map<String, ?> given, List<String> problems) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigDef.ConfigKey key : definition.configKeys().values()) {
            Object raw = given.get(key.name);
            try {
                Object value = raw == null
                        ? key.defaultValue
                        : ConfigDef.parseType(key.name, raw instanceof String s ? s.trim() : raw, key.type);
                if (key.validator != null && raw != null) {
                    key.validator.ensureValid(key.name, value);
                }
                values.put(key.name, value);
            } catch (ConfigException e) {
                problems.add(e.getMessage());
            }
        }
        return values;
    }

    /** Adds a problem unless {@code value >= min}. */
    public static void atLeast(long value, long min, String name, List<String> problems) {
        if (value < min) {
            problems.add(name + " must be at least " + min + ", was " + value);
        }
    }

    /** Adds a problem unless {@code value} is set and longer than zero. */
    public static void positive(Duration value, String name, List<String> problems) {
        if (value == null) {
            problems.add(name + " must be set");
        } else if (value.isNegative() || value.isZero()) {
            problems.add(name + " must be a positive duration, was " + value.toMillis() + " ms");
        }
    }

    /** Adds a problem when the cap {@code capName} is below the value {@code name} it caps. */
    public static void notBelow(String capName, long cap, String name, long value, List<String> problems) {
        if (cap < value) {
            problems.add(capName + " (" + cap + ") is below " + name + " (" + value + "): raise " + capName
                    + " or lower " + name);
        }
    }
}
