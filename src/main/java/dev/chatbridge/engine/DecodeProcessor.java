package dev.chatbridge.engine;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.serde.SerdeException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes raw input bytes with the requests value deserializer into a {@link Decoded}, keyed by the request's
 * conversation key when it has a usable one (and by nothing otherwise). Nothing here throws for bad bytes: a null value
 * or bytes that are not a ChatRequest become {@link Decoded.Undecodable}, a request whose conversation key is missing,
 * blank, too long or holds control characters becomes {@link Decoded.Refused}.
 *
 * <p>An unreachable or refusing schema registry is not the record's fault. With {@code parkWhenRegistryUnavailable} the
 * record becomes {@link Decoded.Parked} and the dispatch step keeps it in the pending table until the registry answers
 * (input keeps flowing into the table, bounded by {@code chat.max.pending}). Without it (the step before the REKEY
 * repartition, which needs the conversation key to route the record) {@link RegistryUnavailableException} fails the
 * stream thread, whose replacement reads the record again.
 *
 * <p>Under {@code TRUST_INPUT_KEY} the partitioning of the input decides which task serves a conversation, so input
 * that is not keyed by its conversation key is logged once per task with the fix ({@code REKEY}). Undecodable input is
 * logged at most once per ten seconds per task, with the count of records held back.
 *
 * <p><b>Threading.</b> Stream thread only.
 */
final class DecodeProcessor implements Processor<byte[], byte[], String, Decoded> {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

    private final Deserializer<ChatRequest> deserializer;
    private final RequestValidator validator;
    private final boolean warnAboutInputKeys;
    private final boolean parkWhenRegistryUnavailable;
    private final RateLimitedLog undecodableLog = new RateLimitedLog(10, TimeUnit.SECONDS);
    private boolean warnedAboutKey;
    private ProcessorContext<String, Decoded> context;

    DecodeProcessor(
            Deserializer<ChatRequest> deserializer,
            RequestValidator validator,
            boolean warnAboutInputKeys,
            boolean parkWhenRegistryUnavailable) {
        this.deserializer = deserializer;
        this.validator = validator;
        this.warnAboutInputKeys = warnAboutInputKeys;
        this.parkWhenRegistryUnavailable = parkWhenRegistryUnavailable;
    }

    @Override
    public void init(ProcessorContext<String, Decoded> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        String topic = source == null ? null : source.topic();
        Decoded decoded = decode(deserializer, validator, topic, record.key(), record.value());
        if (decoded instanceof Decoded.Parked parked && !parkWhenRegistryUnavailable) {
            throw new RegistryUnavailableException(topic, parked.cause());
        }
        if (decoded instanceof Decoded.Undecodable undecodable) {
            long heldBack = undecodableLog.tryAcquire();
            if (heldBack >= 0) {
                LOG.warn(
                        "Undecodable input at {}-{}@{} ({} more since the last such line): {}",
                        topic,
                        source == null ? null : source.partition(),
                        source == null ? null : source.offset(),
                        heldBack,
                        LogSafe.text(undecodable.problem()));
            }
        }
        if (!(decoded instanceof Decoded.Valid valid)) {
            context.forward(record.withKey((String) null).withValue(decoded));
            return;
        }
        String conversationKey = RequestValidator.conversationKey(valid.request());
        if (warnAboutInputKeys && !warnedAboutKey && !conversationKey.equals(utf8OrNull(record.key()))) {
            warnedAboutKey = true;
            LOG.warn(
                    "Input at {}-{}@{} is not keyed by its conversation key (the threadId, or the requestId without"
                            + " one). Per-conversation order holds only if producers give every request of a conversation the same"
                            + " key; if they do not, set {}=REKEY. Warned once per task.",
                    topic,
                    source == null ? null : source.partition(),
                    source == null ? null : source.offset(),
                    EngineConfig.KEY_INPUT_KEYING);
        }
        context.forward(record.withKey(conversationKey).withValue(decoded));
    }

    /**
     * What the bytes of one input record are. Never throws for bad bytes; an unreachable or refusing registry gives
     * {@link Decoded.Parked}.
     */
    static Decoded decode(
            Deserializer<ChatRequest> deserializer,
            RequestValidator validator,
            String topic,
            byte[] key,
            byte[] value) {
        if (value == null) {
            return new Decoded.Undecodable("input value is null (a tombstone), not a ChatRequest", key, null);
        }
        ChatRequest request;
        try {
            request = deserializer.deserialize(topic, value);
        } catch (SerdeException e) {
            if (e.kind() == SerdeException.Kind.REGISTRY_UNAVAILABLE) {
                return new Decoded.Parked(key, value, e);
            }
            return new Decoded.Undecodable("cannot decode a ChatRequest: " + e.getMessage(), key, value);
        } catch (RuntimeException | StackOverflowError e) {
            return new Decoded.Undecodable(
                    "cannot decode a ChatRequest: " + e.getClass().getName() + ": " + e.getMessage(), key, value);
        }
        if (request == null) {
            return new Decoded.Undecodable("the deserializer returned no ChatRequest", key, value);
        }
        Optional<String> problem = validator.conversationKeyProblem(request);
        if (problem.isPresent()) {
            return new Decoded.Refused(request, problem.get(), key, value);
        }
        return new Decoded.Valid(request, key, value);
    }

    /** The raw key as text when it is valid UTF-8. */
    static String utf8OrNull(byte[] key) {
        if (key == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
