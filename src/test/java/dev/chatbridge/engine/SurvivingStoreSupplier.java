package dev.chatbridge.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Test-only pending table whose contents outlive the TopologyTestDriver that used it, standing in for a local RocksDB
 * store (or its changelog) that survives a crash: TopologyTestDriver deletes its state directory on close and does not
 * flush RocksDB on its commits, so the real store cannot be carried from one driver to the next. Byte order of keys is
 * the same as RocksDB's.
 */
final class SurvivingStoreSupplier implements KeyValueBytesStoreSupplier {

    private final String name;
    private final NavigableMap<Bytes, byte[]> disk = new ConcurrentSkipListMap<>();

    SurvivingStoreSupplier(String name) {
        this.name = name;
    }

    /** Pending entries on the disk (the task's high-water mark does not count). */
    int size() {
        return (int)
                disk.keySet().stream().filter(k -> !k.equals(HighWaterMark.KEY)).count();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String metricsScope() {
        return "surviving";
    }

    @Override
    public KeyValueStore<Bytes, byte[]> get() {
        return new Store();
    }

    private final class Store implements KeyValueStore<Bytes, byte[]> {
        private final Position position = Position.emptyPosition();
        private boolean open;

        @Override
        public String name() {
            return name;
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            context.register(root, (key, value) -> {});
            open = true;
        }

        @Override
        public void close() {
            open = false;
        }

        @Override
        public boolean persistent() {
            return false;
        }

        @Override
        public Position getPosition() {
            return position;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void put(Bytes key, byte[] value) {
            if (value == null) {
                disk.remove(key);
            } else {
                disk.put(key, value);
            }
        }

        @Override
        public byte[] putIfAbsent(Bytes key, byte[] value) {
            return disk.putIfAbsent(key, value);
        }

        @Override
        public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
            entries.forEach(kv -> put(kv.key, kv.value));
        }

        @Override
        public byte[] delete(Bytes key) {
            return disk.remove(key);
        }

        @Override
        public byte[] get(Bytes key) {
            return disk.get(key);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
            return iterator(disk.subMap(from, true, to, true));
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return iterator(disk);
        }

        @Override
        public long approximateNumEntries() {
            return disk.size();
        }

        private KeyValueIterator<Bytes, byte[]> iterator(NavigableMap<Bytes, byte[]> map) {
            List<KeyValue<Bytes, byte[]>> snapshot = new ArrayList<>();
            map.forEach((k, v) -> snapshot.add(KeyValue.pair(k, v)));
            Iterator<KeyValue<Bytes, byte[]>> it = snapshot.iterator();
            return new KeyValueIterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public KeyValue<Bytes, byte[]> next() {
                    next++;
                    return it.next();
                }

                @Override
                public Bytes peekNextKey() {
                    return snapshot.get(next).key;
                }

                @Override
                public void close() {}
            };
        }
    }
}
