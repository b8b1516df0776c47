package dev.chatbridge.engine;

import dev.chatbridge.api.ChatApi;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
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
 * requests (bytes) → decode ─┬─ undecodable ──────────────────────────────→ dead letters
 *                            └─ request → [REKEY: repartition by thread key]
 *                                       → async processor (+ pending table) ─┬─ response → responses
 *                                                                            └─ dead letter → dead letters
 * </pre>
 *
 * Both outputs are keyed by the thread key: the request's {@code threadId}, or its
 * {@code requestId} when it has none. Nothing here starts or stops anything; a runner owns the
 * {@code KafkaStreams} instance and creates one {@link EngineResources} for it.
 */
public final class ChatBridgeTopology {

    /** Name of the pending table (its changelog is {@code <application.id>-pending-requests-changelog}). */
    public static final String PENDING_STORE = "pending-requests";

    private ChatBridgeTopology() {}

    /**
     * Builds the topology.
     *
     * @param config    engine settings
     * @param topics    topics with their serdes (see {@link Topics#of})
     * @param api       the API, one attempt per call
     * @param resources what the tasks of the one instance that runs this topology share
     * @param clock     source of event times (completedAt, failedAt, latency, retry times)
     */
    public static Topology build(EngineConfig config, Topics topics, ChatApi api, EngineResources resources, Clock clock) {
        return build(config, topics, api, resources, clock, Stores.persistentKeyValueStore(PENDING_STORE));
    }

    /** Builds the topology with the given supplier for the pending table (tests: a store that outlives its driver). */
    static Topology build(EngineConfig config, Topics topics, ChatApi api, EngineResources resources, Clock clock,
            KeyValueBytesStoreSupplier pendingStore) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(clock, "clock");
        StreamsBuilder builder = new StreamsBuilder();
        Topic<byte[], ChatRequest> requests = topics.requests();

        KStream<String, Decoded> decoded = builder
                .stream(requests.name(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("requests-source"))
                .process(() -> new DecodeProcessor(requests.valueSerde().deserializer(), clock,
                        config.inputKeying() == EngineConfig.InputKeying.TRUST_INPUT_KEY), Named.as("decode"));

        var decodedBranches = decoded.split(Named.as("decoded-"))
                .branch((k, v) -> v instanceof Decoded.Undecodable, Branched.as("undecodable"))
                .defaultBranch(Branched.as("valid"));
        decodedBranches.get("decoded-undecodable")
                .mapValues(v -> ((Decoded.Undecodable) v).deadLetter(), Named.as("undecodable-dead-letter"))
                .to(topics.deadLetters().name(), deadLetterSink(topics, "undecodable-sink"));

        KStream<String, ChatRequest> valid = decodedBranches.get("decoded-valid")
                .mapValues(v -> ((Decoded.Valid) v).request(), Named.as("valid-request"));
        if (config.inputKeying() == EngineConfig.InputKeying.REKEY) {
            valid = valid.repartition(Repartitioned.with(Serdes.String(), requests.valueSerde()).withName("by-thread"));
        }

        StoreBuilder<KeyValueStore<Bytes, PendingEntry>> store = Stores.keyValueStoreBuilder(
                        pendingStore,
                        Serdes.Bytes(),
                        PendingEntry.serde(requests.valueSerde(), requests.name()))
                .withLoggingEnabled(Map.of());
        KStream<String, SpecificRecord> outcomes = valid.process(
                new AsyncSupplier(config, api, resources, clock, topics.responses(), store), Named.as("dispatch"));

        var outcomeBranches = outcomes.split(Named.as("outcome-"))
                .branch((k, v) -> v instanceof ChatResponse, Branched.as("response"))
                .defaultBranch(Branched.as("dead-letter"));
        outcomeBranches.get("outcome-response")
                .mapValues(v -> (ChatResponse) v, Named.as("as-response"))
                .to(topics.responses().name(), Produced.with(topics.responses().keySerde(),
                        topics.responses().valueSerde()).withName("responses-sink"));
        outcomeBranches.get("outcome-dead-letter")
                .mapValues(v -> (ChatDeadLetter) v, Named.as("as-dead-letter"))
                .to(topics.deadLetters().name(), deadLetterSink(topics, "dead-letters-sink"));
        return builder.build();
    }

    private static Produced<String, ChatDeadLetter> deadLetterSink(Topics topics, String name) {
        return Produced.with(topics.deadLetters().keySerde(), topics.deadLetters().valueSerde()).withName(name);
    }

    /** Supplies one processor per task, connected to the pending table. */
    private record AsyncSupplier(
            EngineConfig config,
            ChatApi api,
            EngineResources resources,
            Clock clock,
            Topic<String, ChatResponse> responses,
            StoreBuilder<KeyValueStore<Bytes, PendingEntry>> store)
            implements ProcessorSupplier<String, ChatRequest, String, SpecificRecord> {

        @Override
        public Processor<String, ChatRequest, String, SpecificRecord> get() {
            return new AsyncChatProcessor(config, PENDING_STORE, api, resources, clock, responses);
        }

        @Override
        public Set<StoreBuilder<?>> stores() {
            return Set.of(store);
        }
    }
}
