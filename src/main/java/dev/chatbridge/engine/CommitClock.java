package dev.chatbridge.engine;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells each stream thread when what it has forwarded so far is committed, so that a conversation's next call can wait
 * for its previous outcome to be durable (the API then never sees turn N again after turn N+1, even across crashes).
 *
 * <p>Kafka Streams has no commit callback, so the instance's producers are wrapped ({@link #clientSupplier()}): a
 * stream thread's output is committed when its producer's {@code commitTransaction()} returns (exactly-once) or its
 * {@code flush()} returns (at-least-once: the pending table's changelog and the outputs are acknowledged, and the
 * high-water mark in the table keeps replayed input from being accepted twice). The pending store is not cached, so
 * every delete is sent as it is made. Both are called by the stream thread that forwarded, so the count lives per
 * thread.
 *
 * <p><b>Threading.</b> Each {@link ThreadCommits} is written only by its own stream thread (the producer's commit runs
 * there); its count is volatile for readers elsewhere. Listeners run on that thread, inside Kafka Streams' commit: they
 * must not forward, touch stores or block.
 */
public final class CommitClock {

    private static final Logger LOG = LoggerFactory.getLogger(CommitClock.class);

    /** One stream thread's commits. */
    static final class ThreadCommits {
        private volatile long count;
        private long lastRequestNanos = Long.MIN_VALUE / 2;
        private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

        /** Commits of this thread's output so far. */
        long count() {
            return count;
        }

        void listen(Runnable listener) {
            listeners.add(listener);
        }

        void unlisten(Runnable listener) {
            listeners.remove(listener);
        }

        /** Whether a commit may be requested now: at most one per {@code gapNanos} per stream thread. */
        boolean mayRequest(long nowNanos, long gapNanos) {
            if (nowNanos - lastRequestNanos < gapNanos) {
                return false;
            }
            lastRequestNanos = nowNanos;
            return true;
        }

        private void committed() {
            count++;
            for (Runnable listener : listeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.error("A commit listener failed (a bug); the calls it would start wait for the next drain", e);
                }
            }
        }
    }

    private final ThreadLocal<ThreadCommits> threads = ThreadLocal.withInitial(ThreadCommits::new);

    /** The calling thread's commits. */
    ThreadCommits ofCurrentThread() {
        return threads.get();
    }

    /**
     * Everything the calling thread forwarded so far is committed. Called by the wrapped producers, and by test drivers
     * that commit on the caller's thread.
     */
    public void committed() {
        threads.get().committed();
    }

    /** Kafka's default clients, with each producer reporting its commits here. */
    public KafkaClientSupplier clientSupplier() {
        return clientSupplier(new PlainKafkaClients());
    }

    /** {@code base}'s clients, with each producer reporting its commits here. */
    public KafkaClientSupplier clientSupplier(KafkaClientSupplier base) {
        Objects.requireNonNull(base, "base");
        return new KafkaClientSupplier() {
            @Override
            public Admin getAdmin(Map<String, Object> config) {
                return base.getAdmin(config);
            }

            @Override
            public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
                return observe(base.getProducer(config), config.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG) != null);
            }

            @Override
            public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
                return base.getConsumer(config);
            }

            @Override
            public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
                return base.getRestoreConsumer(config);
            }

            @Override
            public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
                return base.getGlobalConsumer(config);
            }
        };
    }

    /** A producer that calls {@link #committed()} after each successful commit (or flush, when not transactional). */
    @SuppressWarnings("unchecked")
    Producer<byte[], byte[]> observe(Producer<byte[], byte[]> producer, boolean transactional) {
        String commitMethod = transactional ? "commitTransaction" : "flush";
        InvocationHandler handler = (proxy, method, args) -> {
            Object result;
            try {
                result = method.invoke(producer, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (method.getName().equals(commitMethod) && method.getParameterCount() == 0) {
                committed();
            }
            return result;
        };
        return (Producer<byte[], byte[]>)
                Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] {Producer.class}, handler);
    }
}
