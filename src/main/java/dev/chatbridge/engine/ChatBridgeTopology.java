package dev.chatbridge.engine;

import dev.chatbridge.api.ChatApi;
import dev.chatbridge.events.ChatRequest;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The chat-bridge topology, as a pure function of its configuration and collaborators:
 *
 * <pre>
 * requests (bytes) → decode → async processor (+ pending table) ─┬─ response bytes → responses
 *                                                                 └─ dead letter bytes → dead letters
 *
 * REKEY: requests (bytes) → decode ─┬─ valid: the original bytes → repartition by conversation key → decode
 *                                   │    → async processor …
 *                                   └─ undecodable or refused → dead letters
 * </pre>
 *
 * <p>Every outcome, including undecodable input, goes through the async processor, which serializes it within the size
 * budget and keeps it in the pending table while the schema registry cannot be asked (see {@link AsyncChatProcessor}).
 *
 * <p>Both outputs are keyed by the conversation key: the request's {@code threadId}, or its {@code requestId} when it
 * has none. Nothing here starts or stops anything; a runner owns the {@code KafkaStreams} instance and creates one
 * {@link EngineResources} for it.
 */
public final class ChatBridgeTopology {

    /**
     * Name of the REKEY repartition step (its topic is {@code <application.id>-by-thread-repartition}; the name is part
     * of the deployment, so it keeps the API's word for a conversation).
     */
    static final String REPARTITION_NAME = "by-thread";

    /** Name of the pending table (its changelog is {@code <application.id>-pending-requests-changelog}). */
    public static final String PENDING_STORE = "pending-requests";

    private ChatBridgeTopology() {}

    /**
     * Builds the topology.
     *
     * @param config engine settings
     * @param topics topics with their serdes (see {@link Topics#of})
     * @param api the API, one attempt per call
     * @param resources what the tasks of the one instance that runs this topology share
     * @param clock source of event times (completedAt, failedAt, latency, retry times)
     */
    public static Topology build(
            EngineConfig config, Topics topics, ChatApi api, EngineResources resources, Clock clock) {
        return build(config, topics, api, resources, clock, Stores.persistentKeyValueStore(PENDING_STORE));
    }

    /** Builds the topology with the given supplier for the pending table (tests: a store that outlives its driver). */
    static Topology build(
            EngineConfig config,
            Topics topics,
            ChatApi api,
            EngineResources resources,
            Clock clock,
            KeyValueBytesStoreSupplier pendingStore) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(clock, "clock");
        StreamsBuilder builder = new StreamsBuilder();
        Topic<byte[], ChatRequest> requests = topics.requests();
        RequestValidator validator = new RequestValidator(config);
        boolean rekey = config.inputKeying() == EngineConfig.InputKeying.REKEY;

        KStream<byte[], byte[]> input = builder.stream(
                requests.name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("requests-source"));
        KStream<String, Decoded> decoded;
        if (!rekey) {
            decoded = input.process(
                    () -> new DecodeProcessor(requests.valueSerde().deserializer(), validator, true, true),
                    Named.as("decode"));
        } else {
            // The conversation key is needed to route a record, so this first decode cannot park input: while the
            // registry cannot be asked, its stream thread fails and is replaced (see DecodeProcessor).
            var routed = input.process(
                            () -> new DecodeProcessor(requests.valueSerde().deserializer(), validator, false, false),
                            Named.as("decode-to-route"))
                    .split(Named.as("routed-"))
                    .branch(
                            (k, v) -> v instanceof Decoded.Valid valid
                                    && valid.value().length <= config.maxRequestBytes(),
                            Branched.as("valid"))
                    .defaultBranch(Branched.as("refused"));
            routed.get("routed-refused")
                    .process(
                            () -> new EarlyDeadLetterProcessor(config, topics, resources, clock),
                            Named.as("refused-dead-letter"))
                    .to(topics.deadLetters().name(), bytesSink("early-dead-letters-sink"));
            // The producer's own bytes travel through the repartition topic, keyed by conversation, and are decoded
            // again.
            decoded = routed.get("routed-valid")
                    .mapValues(Decoded::value, Named.as("original-bytes"))
                    .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray())
                            .withName(REPARTITION_NAME))
                    .process(
                            () -> new RekeyedDecodeProcessor(
                                    requests.valueSerde().deserializer(), validator),
                            Named.as("decode"));
        }

        StoreBuilder<KeyValueStore<Bytes, byte[]>> store = Stores.keyValueStoreBuilder(
                        pendingStore, Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingEnabled(Map.of());
        KStream<String, OutcomeWriter.Written> outcomes =
                decoded.process(new AsyncSupplier(config, api, resources, clock, topics, store), Named.as("dispatch"));

        var outcomeBranches = outcomes.split(Named.as("outcome-"))
                .branch((k, v) -> v.response(), Branched.as("response"))
                .defaultBranch(Branched.as("dead-letter"));
        outcomeBranches
                .get("outcome-response")
                .mapValues(OutcomeWriter.Written::bytes, Named.as("response-bytes"))
                .to(topics.responses().name(), bytesSink("responses-sink"));
        outcomeBranches
                .get("outcome-dead-letter")
                .mapValues(OutcomeWriter.Written::bytes, Named.as("dead-letter-bytes"))
                .to(topics.deadLetters().name(), bytesSink("dead-letters-sink"));
        return builder.build();
    }

    /** Outcomes are serialized (and sized) by the engine itself, so the sinks write bytes. */
    private static Produced<String, byte[]> bytesSink(String name) {
        return Produced.with(Serdes.String(), Serdes.ByteArray()).withName(name);
    }

    /** Supplies one processor per task, connected to the pending table. */
    private record AsyncSupplier(
            EngineConfig config,
            ChatApi api,
            EngineResources resources,
            Clock clock,
            Topics topics,
            StoreBuilder<KeyValueStore<Bytes, byte[]>> store)
            implements ProcessorSupplier<String, Decoded, String, OutcomeWriter.Written> {

        @Override
        public Processor<String, Decoded, String, OutcomeWriter.Written> get() {
            return new AsyncChatProcessor(config, PENDING_STORE, api, resources, clock, topics);
        }

        @Override
        public Set<StoreBuilder<?>> stores() {
            return Set.of(store);
        }
    }
}
