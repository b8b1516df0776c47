package dev.chatbridge.observability;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The process's Prometheus registry: JVM meters (memory, GC, threads, class loading, processor, uptime) bound, and
 * joined to Micrometer's global registry for as long as it is open, because that is where Reactor Netty reports the API
 * client's connection pool meters ({@code ConnectionProvider.metrics(true)}).
 *
 * <p>Owned by the command that runs the service (one per process): it creates it, passes {@link #registry()} to
 * {@code ChatBridgeApp.create(settings, registry)} and to {@link OpsServer#start}, and closes it last.
 *
 * <p><b>Threading.</b> Create and close on one thread; {@link #registry()} is thread-safe.
 */
public final class ServiceRegistry implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private boolean closed;

    private ServiceRegistry() {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        this.gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Metrics.globalRegistry.add(registry);
    }

    /** A new registry with the JVM meters, joined to the global registry. */
    public static ServiceRegistry create() {
        return new ServiceRegistry();
    }

    /** The Prometheus registry. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Leaves the global registry and closes the registry and the GC listener. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Metrics.globalRegistry.remove(registry);
        gc.close();
        registry.close();
    }
}
