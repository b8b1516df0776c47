package dev.chatbridge.engine;

import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.serde.SerdeException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First step of the topology: decodes raw input bytes with the requests value deserializer and
 * keys the request by its thread key. Bytes that cannot be decoded (or a null value) become a
 * {@link Decoded.Undecodable} carrying an {@code UNDECODABLE_INPUT} dead letter with the raw key,
 * the raw value and the source coordinates; the application keeps running. Decoding here rather
 * than in the source's deserializer lets the topology route the failure itself, inside the same
 * transaction under exactly-once.
 *
 * <p>Under {@code TRUST_INPUT_KEY} the partitioning of the input decides which task serves a
 * thread, so input that is not keyed by its thread key is logged once per task with the fix
 * ({@code REKEY}): it is correct only if producers key each thread's requests consistently.
 *
 * <p>One failure is not the record's: an unreachable schema registry. Then the record is not
 * dead-lettered (it is probably fine); {@link RegistryUnavailableException} fails the stream
 * thread, whose replacement reads the record again from the last commit, so input waits as lag
 * until the registry answers.
 *
 * <p><b>Threading.</b> Stream thread only.
 */
final class DecodeProcessor implements Processor<byte[], byte[], String, Decoded> {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

    private final Deserializer<ChatRequest> deserializer;
    private final Clock clock;
    private final boolean trustsInputKey;
    private boolean warnedAboutKey;
    private ProcessorContext<String, Decoded> context;

    DecodeProcessor(Deserializer<ChatRequest> deserializer, Clock clock, boolean trustsInputKey) {
        this.deserializer = deserializer;
        this.clock = clock;
        this.trustsInputKey = trustsInputKey;
    }

    @Override
    public void init(ProcessorContext<String, Decoded> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        String topic = source == null ? null : source.topic();
        ChatRequest request = null;
        String failure;
        if (record.value() == null) {
            failure = "input value is null (a tombstone), not a ChatRequest";
        } else {
            try {
                request = deserializer.deserialize(topic, record.headers(), record.value());
                failure = request == null ? "the deserializer returned no ChatRequest" : null;
            } catch (SerdeException e) {
                if (e.kind() == SerdeException.Kind.REGISTRY_UNAVAILABLE) {
                    // Not the record's fault: dead-lettering it would lose a good request. Fail the
                    // thread instead; the runner replaces it and the record is read again.
                    throw new RegistryUnavailableException(topic, e);
                }
                failure = "cannot decode a ChatRequest: " + e.getMessage();
            } catch (RuntimeException e) {
                failure = "cannot decode a ChatRequest: " + e.getClass().getName() + ": " + e.getMessage();
            }
        }
        if (failure == null) {
            String threadKey = request.getThreadId() != null ? request.getThreadId() : request.getRequestId();
            if (trustsInputKey && !warnedAboutKey && !threadKey.equals(utf8OrNull(record.key()))) {
                warnedAboutKey = true;
                LOG.warn("Input at {}-{}@{} is not keyed by its thread key (the threadId, or the requestId without"
                        + " one). Per-thread order holds only if producers give every request of a thread the same"
                        + " key; if they do not, set {}=REKEY. Warned once per task.", topic,
                        source == null ? null : source.partition(), source == null ? null : source.offset(),
                        EngineConfig.KEY_INPUT_KEYING);
            }
            context.forward(record.withKey(threadKey).withValue(new Decoded.Valid(request)));
            return;
        }
        LOG.warn("Undecodable input at {}-{}@{}: {}", topic, source == null ? null : source.partition(),
                source == null ? null : source.offset(), failure);
        ChatDeadLetter deadLetter = ChatDeadLetter.newBuilder()
                .setReason(DeadLetterReason.UNDECODABLE_INPUT)
                .setMessage(failure)
                .setAttempts(0)
                .setRawKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setRawValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setSourceTopic(topic)
                .setSourcePartition(source == null ? null : source.partition())
                .setSourceOffset(source == null ? null : source.offset())
                .setFailedAt(clock.instant())
                .build();
        context.forward(record.withKey(utf8OrNull(record.key())).withValue(new Decoded.Undecodable(deadLetter)));
    }

    /** The raw key as text when it is valid UTF-8 (the exact bytes are in the dead letter either way). */
    private static String utf8OrNull(byte[] key) {
        if (key == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
