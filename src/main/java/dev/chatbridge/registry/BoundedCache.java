package dev.chatbridge.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A least-recently-used map with a fixed capacity, for the registry client's and the serde's caches. Thread-safe: every
 * method holds the instance lock (entries are tiny, calls are short).
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class BoundedCache<K, V> {

    private final Map<K, V> entries;

    /** An empty cache that keeps at most {@code capacity} entries. */
    public BoundedCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The value, or null; a hit makes the entry the most recently used. */
    public synchronized V get(K key) {
        return entries.get(key);
    }

    /** Adds or replaces the entry; the least recently used one goes when the cache is full. */
    public synchronized void put(K key, V value) {
        entries.put(key, value);
    }

    /** Entries held. */
    public synchronized int size() {
        return entries.size();
    }

    /** Forgets the entry, if any. */
    public synchronized void remove(K key) {
        entries.remove(key);
    }
}
