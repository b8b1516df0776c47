package dev.chatbridge.app;

import dev.chatbridge.api.CallTimings;
import dev.chatbridge.api.ChatClient;
import dev.chatbridge.api.ChatClientConfig;
import dev.chatbridge.engine.ChatBridgeTopology;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.EngineMetrics;
import dev.chatbridge.engine.EngineResources;
import dev.chatbridge.engine.PendingChangelog;
import dev.chatbridge.engine.RegistryUnavailableException;
import dev.chatbridge.engine.StreamsProperties;
import dev.chatbridge.engine.Topics;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.observability.ChatBridgeMetrics;
import dev.chatbridge.policy.RequestPolicy;
import dev.chatbridge.registry.SchemaRegistryClient;
import dev.chatbridge.registry.SchemaRegistryClients;
import dev.chatbridge.serde.AvroSerdeConfig;
import dev.chatbridge.serde.AvroSerdes;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running chat-bridge instance: the Kafka Streams application, the API client, the registry client and the engine's
 * shared per-instance resources, started and stopped together.
 *
 * <p>The topology itself is a pure function ({@link ChatBridgeTopology#build}); this class only owns lifecycles and
 * error policy. An uncaught exception in a stream thread shuts the client down ({@code SHUTDOWN_CLIENT}):
 * {@link #isLive()} turns false and the command line exits non-zero, rather than looping on a bug. The one exception is
 * an unreachable schema registry, which is waited out (see {@link #onStreamThreadFailure}).
 *
 * <p><b>Shutdown.</b> {@link #close()} stops dispatching new calls, waits up to the drain timeout for calls in flight
 * to complete (their outcomes are forwarded by the stream threads' punctuator meanwhile), then closes Kafka Streams,
 * which commits. Whatever did not finish stays in the pending table and is re-dispatched by the next owner of its task:
 * nothing accepted is lost.
 *
 * <p><b>Metrics.</b> Built with a {@link MeterRegistry} ({@link #create(Settings, MeterRegistry)}), the instance
 * registers chat-bridge's own meters ({@code ChatBridgeMeters}) and the Kafka Streams client meters on it, and unbinds
 * the latter on {@link #close()}. The registry and the ops HTTP server ({@code OpsServer}, over
 * {@code Health.of(app.streams(), app.resources().pause())}) belong to the caller, which creates them before and closes
 * them after the app.
 *
 * <p><b>Threading.</b> {@link #start()} and {@link #close()} are called by one controlling thread (the command's main
 * thread or a shutdown hook); the state queries are safe from any thread.
 */
public final class ChatBridgeApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChatBridgeApp.class);

    /**
     * What an instance is made of.
     *
     * @param streams Kafka Streams (and Kafka client) properties, application id and bootstrap servers included
     * @param engine engine settings
     * @param client API client settings
     * @param serdeConfigs registry and serde settings under Confluent's key names
     * @param drainTimeout how long a graceful shutdown waits for calls in flight
     * @param audit where calls are audited
     * @param policy which requests may be sent at all (impersonation policy, on-behalf-of tokens)
     */
    public record Settings(
            Properties streams,
            EngineConfig engine,
            ChatClientConfig client,
            Map<String, ?> serdeConfigs,
            Duration drainTimeout,
            Audit audit,
            RequestPolicy policy) {
        public Settings {
            Objects.requireNonNull(streams, "streams");
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(client, "client");
            serdeConfigs = Map.copyOf(serdeConfigs);
            Objects.requireNonNull(drainTimeout, "drainTimeout");
            Objects.requireNonNull(audit, "audit");
            Objects.requireNonNull(policy, "policy");
        }

        /** Settings that audit to the log only. */
        public Settings(
                Properties streams,
                EngineConfig engine,
                ChatClientConfig client,
                Map<String, ?> serdeConfigs,
                Duration drainTimeout) {
            this(streams, engine, client, serdeConfigs, drainTimeout, Audit.LOG_ONLY, RequestPolicy.permitAll());
        }

        /** These settings with other streams properties. */
        public Settings withStreams(Properties newStreams) {
            return new Settings(newStreams, engine, client, serdeConfigs, drainTimeout, audit, policy);
        }

        /** These settings with another request policy. */
        public Settings withPolicy(RequestPolicy newPolicy) {
            return new Settings(streams, engine, client, serdeConfigs, drainTimeout, audit, newPolicy);
        }
    }

    /**
     * Where calls are audited ({@link AuditTrail}).
     *
     * @param log one JSON line per call on the logger {@value AuditTrail#LOGGER}
     * @param topic the audit topic, or null for none
     */
    public record Audit(boolean log, String topic) {
        /** The default: the log, no topic. */
        public static final Audit LOG_ONLY = new Audit(true, null);
    }

    private final Settings settings;
    private final SchemaRegistryClient registry;
    private final ChatClient client;
    private final EngineResources resources;
    private final AdminTopicIdentity topicIds;
    private final LocalStateCheck localState;
    private final Topology topology;
    private final KafkaStreams streams;
    private final Optional<KafkaStreamsMetrics> streamsMetrics;
    private final AuditTrail audit;
    /** The first exception that stopped the instance (a stream thread's, not replaced), for {@link #failure()}. */
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    /** Told of every state change by the one state listener Kafka Streams allows, which this app sets. */
    private final List<KafkaStreams.StateListener> stateListeners = new CopyOnWriteArrayList<>();

    private boolean closed;
    /** Whether {@link #start()} started Kafka Streams: only then can the changelog be current. */
    private volatile boolean started;

    private ChatBridgeApp(Settings settings, Clock clock, MeterRegistry meterRegistry) {
        this.settings = settings;
        settings.engine().validateAgainst(settings.streams());
        AvroSerdeConfig serdeConfig = AvroSerdeConfig.from(settings.serdeConfigs());
        OutcomeSizeGuard guard = OutcomeSizeGuard.forOutputs(
                settings.streams(),
                settings.engine().responsesTopic(),
                settings.engine().deadLettersTopic());
        ChatBridgeMetrics metrics = meterRegistry == null ? null : new ChatBridgeMetrics(meterRegistry);
        // The two clients hold connection pools: neither is left open when the other cannot be built (a truststore
        // that does not load is a configuration error, met here).
        this.client = new ChatClient(settings.client(), clock, metrics == null ? CallTimings.NONE : metrics);
        try {
            this.registry = SchemaRegistryClients.create(settings.serdeConfigs());
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        Topics topics = Topics.of(
                settings.engine(),
                AvroSerdes.of(ChatRequest.class, registry, serdeConfig, false),
                AvroSerdes.of(ChatResponse.class, registry, serdeConfig, false),
                AvroSerdes.of(ChatDeadLetter.class, registry, serdeConfig, false));
        this.topicIds = new AdminTopicIdentity(settings.streams());
        StreamsConfig streamsConfig = new StreamsConfig(settings.streams());
        String applicationId = streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG);
        String changelog = PendingChangelog.topic(applicationId);
        this.localState = new LocalStateCheck(
                Path.of(streamsConfig.getString(StreamsConfig.STATE_DIR_CONFIG), applicationId),
                changelog,
                () -> topicIds.idOf(changelog));
        this.resources =
                new EngineResources(settings.engine(), clock, metrics == null ? EngineMetrics.NONE : metrics, topicIds);
        // The engine serializes every outcome itself and sizes it to the guard's limit per topic (the sinks
        // write bytes), so the guard needs no serializer wrapping here; the handler lowers the limit when Kafka
        // still refuses a record.
        resources.limitOutputs(guard::maxValueBytes);
        this.audit = AuditTrail.create(
                settings.audit().log(),
                settings.audit().topic(),
                settings.streams(),
                metrics == null ? () -> {} : metrics::auditDropped);
        resources.auditTo(audit);
        resources.usePolicy(settings.policy());
        if (!settings.policy().permitsAll()) {
            LOG.info("Request policy: {}", settings.policy().describe());
        }
        this.topology = ChatBridgeTopology.build(settings.engine(), topics, client, resources, clock);
        this.streams = new KafkaStreams(
                topology,
                withOversizeHandler(settings.streams(), topics, guard, metrics, clock),
                resources.commitClock().clientSupplier());
        streams.setUncaughtExceptionHandler(e -> {
            StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse response = onStreamThreadFailure(e, guard);
            if (response != StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD) {
                fatal.compareAndSet(null, e);
            }
            return response;
        });
        streams.setStateListener(this::stateChanged);
        if (metrics != null) {
            metrics.bindInstance(resources.limiter(), resources.pending(), resources.pause(), this::isReady);
            metrics.bindFlow(resources);
            KafkaStreamsMetrics binder = new KafkaStreamsMetrics(streams);
            binder.bindTo(meterRegistry);
            this.streamsMetrics = Optional.of(binder);
        } else {
            this.streamsMetrics = Optional.empty();
        }
    }

    /**
     * The streams properties with {@link OversizeOutcomeHandler} as production exception handler (unless the user chose
     * one) and the objects it needs under its internal key.
     */
    static Properties withOversizeHandler(
            Properties given, Topics topics, OutcomeSizeGuard guard, ChatBridgeMetrics metrics, Clock clock) {
        Properties props = new Properties();
        props.putAll(given);
        // The user's own choice wins, under the current key or the deprecated "default." one.
        if (!props.containsKey(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG)
                && !props.containsKey("default." + StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG)) {
            props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OversizeOutcomeHandler.class);
        }
        props.put(
                OversizeOutcomeHandler.OUTPUTS_CONFIG,
                new OversizeOutcomeHandler.Outputs(
                        topics.responses().name(),
                        topics.deadLetters().name(),
                        topics.responses().valueSerde().deserializer(),
                        topics.deadLetters().valueSerde().deserializer(),
                        topics.deadLetters().valueSerde().serializer(),
                        OutputBudget.producerMaxRequestSize(given),
                        guard,
                        StreamsProperties.isExactlyOnce(given),
                        metrics == null ? () -> {} : metrics::oversizeOutcomeReplaced,
                        clock));
        return props;
    }

    /**
     * {@link #onStreamThreadFailure(Throwable)}, except that a thread failed by {@link OversizeOutcomeHandler} for an
     * outcome Kafka refused inside a transaction is replaced: it re-reads from the last commit and the lowered
     * {@link OutcomeSizeGuard} turns the outcome into a dead letter.
     */
    static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadFailure(
            Throwable exception, OutcomeSizeGuard guard) {
        if (guard.takeRefusalToRetry()) {
            LOG.warn("Replacing the stream thread after an outcome too large to publish: {}", exception.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        return onStreamThreadFailure(exception);
    }

    /** How long a thread that failed for want of the registry waits before it is replaced (paces the re-reads). */
    static final Duration REGISTRY_REPLACE_PAUSE = Duration.ofSeconds(1);

    /**
     * Error policy: a schema registry that cannot be asked by the REKEY routing step (the one step that cannot park
     * input) is waited out: the failed thread pauses {@link #REGISTRY_REPLACE_PAUSE}, since the registry client fails
     * fast during an outage, and is replaced, re-reading from its last commit. Anything else is a bug or a fatal state,
     * and the instance shuts down rather than loop.
     */
    static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadFailure(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (t instanceof RegistryUnavailableException) {
                LOG.error(
                        "Schema registry cannot be asked; replacing the stream thread in {} ms, input waits: {}",
                        REGISTRY_REPLACE_PAUSE.toMillis(),
                        t.getMessage());
                try {
                    Thread.sleep(REGISTRY_REPLACE_PAUSE.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
        }
        LOG.error("A stream thread failed; shutting this instance down. Cause: {}", exception.toString(), exception);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    /**
     * Builds an instance, not started.
     *
     * @throws IllegalArgumentException when settings clash (the message names the keys and the fix)
     */
    public static ChatBridgeApp create(Settings settings) {
        return new ChatBridgeApp(settings, Clock.systemUTC(), null);
    }

    /**
     * Builds an instance, not started, that reports its meters to {@code registry}.
     *
     * @throws IllegalArgumentException when settings clash (the message names the keys and the fix)
     */
    public static ChatBridgeApp create(Settings settings, MeterRegistry registry) {
        return new ChatBridgeApp(settings, Clock.systemUTC(), Objects.requireNonNull(registry, "registry"));
    }

    /**
     * Starts processing; returns once Kafka Streams started its threads. Local state that does not belong to the
     * pending table's current changelog topic (a kept state directory after a reset) is deleted first
     * ({@link LocalStateCheck}).
     */
    public ChatBridgeApp start() {
        localState.staleBecause().ifPresent(why -> {
            LOG.warn(
                    "Local state is older than the changelog topic, or cannot be matched to it: {}. Deleting it before "
                            + "starting; the pending table is restored from the changelog",
                    why);
            streams.cleanUp();
        });
        streams.start();
        started = true;
        return this;
    }

    /** The topology this instance runs. */
    public Topology topology() {
        return topology;
    }

    /**
     * Calls {@code listener} on every state change of Kafka Streams, on the thread that makes the change (so it must be
     * short and must not block). Kafka Streams allows one state listener, and this app has set it: add listeners here,
     * not with {@code streams().setStateListener}, which would replace it. Thread-safe.
     */
    public void onStateChange(KafkaStreams.StateListener listener) {
        stateListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void stateChanged(KafkaStreams.State now, KafkaStreams.State before) {
        for (KafkaStreams.StateListener listener : stateListeners) {
            try {
                listener.onChange(now, before);
            } catch (RuntimeException e) {
                LOG.warn("A Kafka Streams state listener failed on {} -> {}: {}", before, now, e.toString(), e);
            }
        }
    }

    /**
     * The Kafka Streams instance (for metrics binders and tests; state listeners go to
     * {@link #onStateChange(KafkaStreams.StateListener)}).
     */
    public KafkaStreams streams() {
        return streams;
    }

    /** The engine's shared resources (in-flight limiter, pending count, operator pause). */
    public EngineResources resources() {
        return resources;
    }

    /** Live unless Kafka Streams failed or stopped (ERROR, PENDING_ERROR, NOT_RUNNING). */
    public boolean isLive() {
        KafkaStreams.State state = streams.state();
        return state != KafkaStreams.State.ERROR
                && state != KafkaStreams.State.PENDING_ERROR
                && state != KafkaStreams.State.NOT_RUNNING;
    }

    /** The exception that made a stream thread shut this instance down, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(fatal.get());
    }

    /** Ready only when Kafka Streams is RUNNING, the API is not refusing the deployment and the registry answers. */
    public boolean isReady() {
        return streams.state() == KafkaStreams.State.RUNNING
                && resources.pause().isReady()
                && !resources.registryWait().isWaiting();
    }

    /**
     * Graceful shutdown: stop dispatching, let calls in flight finish up to the drain timeout, then close Kafka Streams
     * (which commits what was forwarded). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        resources.pause().stopDispatching();
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        int inFlight = resources.limiter().inUse();
        if (inFlight > 0 && isLive()) {
            LOG.info(
                    "Shutting down: waiting up to {} ms for {} call(s) in flight",
                    settings.drainTimeout().toMillis(),
                    inFlight);
        }
        // Wait for the calls in flight and for their outcomes to be forwarded by the stream threads'
        // punctuator: an answer that arrived but was not forwarded before close would be sent again.
        while ((resources.limiter().inUse() > 0 || resources.unforwardedCompletions() > 0)
                && isLive()
                && System.nanoTime() - deadline < 0) {
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int unfinished = resources.limiter().inUse();
        if (unfinished > 0) {
            LOG.warn(
                    "Drain timeout: {} call(s) still in flight stay pending and are re-sent by the next owner",
                    unfinished);
        }
        // Leave the group: otherwise this instance's tasks stay unassigned until session.timeout.ms
        // expires (45 s by default), and their requests wait that long on a scale-down.
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        // The changelog exists now that the instance ran: the next start can tell its local state is current. An
        // instance that never started has nothing to remember (and asking the broker could wait out its timeout).
        if (started) {
            localState.rememberCurrent();
        }
        streamsMetrics.ifPresent(KafkaStreamsMetrics::close);
        resources.pause().stop();
        client.close();
        audit.close();
        registry.close();
        topicIds.close();
        LOG.info("chat-bridge stopped");
    }
}
