package dev.chatbridge.app;

import dev.chatbridge.engine.RateLimitedLog;
import dev.chatbridge.engine.Sha256;
import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatResponse;
import dev.chatbridge.events.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last safety net for outcomes that are too large to publish: instead of failing the instance (and re-reading the
 * same input after a restart, forever), an outcome that the producer or the broker refuses as too large is replaced by
 * a minimal {@link ChatDeadLetter} on the dead-letters topic that says what happened, how large the outcome was and its
 * SHA-256.
 *
 * <p>Handled: {@link RecordTooLargeException} and {@link RecordBatchTooLargeException} for a record of the responses or
 * the dead-letters topic. Everything else fails as Kafka Streams' default handler does: a bug must stop the instance,
 * and a changelog or repartition record that is too large cannot be replaced by a dead letter without losing state.
 * {@code InvalidRecordException} is not handled either: it says nothing about size (a broker-side validation, a null
 * key on a compacted topic), is a deployment error, and turning it into dead letters would hide it.
 *
 * <p>Kafka Streams instantiates the handler by class name; {@link ChatBridgeApp} passes what it needs as one non-string
 * value under {@link #OUTPUTS_CONFIG} in the streams properties (Kafka Streams hands its original properties, objects
 * included, to {@link #configure}, and passes no unknown key to its clients). Stateless apart from the log rate limit;
 * thread-safe (it is called on producer I/O threads).
 */
public final class OversizeOutcomeHandler implements ProductionExceptionHandler {

    /** Internal streams-properties key whose value is an {@link Outputs}; set by {@link ChatBridgeApp}. */
    public static final String OUTPUTS_CONFIG = "chat.bridge.internal.oversize.outputs";

    /** A dead letter written by this handler carries this header, so a refused one is not replaced again. */
    public static final String MARKER_HEADER = "chat-bridge-size-guard";

    /** Keys longer than this are not kept on the minimal dead letter. */
    static final int MAX_KEY_BYTES = 256;

    /** Identifiers longer than this are left out of the minimal dead letter. */
    static final int MAX_ID_CHARS = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(OversizeOutcomeHandler.class);

    /**
     * What the handler needs to write a dead letter.
     *
     * @param responsesTopic topic of ChatResponse events
     * @param deadLettersTopic topic of ChatDeadLetter events
     * @param responses reads a failed response (for its ids)
     * @param deadLetterReader reads a failed dead letter (for its ids and reason)
     * @param deadLetterWriter writes the minimal dead letter
     * @param producerMaxRequestSize the producer's {@code max.request.size}, for the message
     * @param guard the serializers' size guard, told about sizes Kafka refused
     * @param exactlyOnce whether Kafka Streams runs with an exactly-once guarantee
     * @param onReplaced called once per outcome replaced (a meter)
     * @param clock for {@code failedAt}
     */
    public record Outputs(
            String responsesTopic,
            String deadLettersTopic,
            Deserializer<ChatResponse> responses,
            Deserializer<ChatDeadLetter> deadLetterReader,
            Serializer<ChatDeadLetter> deadLetterWriter,
            int producerMaxRequestSize,
            OutcomeSizeGuard guard,
            boolean exactlyOnce,
            Runnable onReplaced,
            Clock clock) {
        public Outputs {
            Objects.requireNonNull(responsesTopic, "responsesTopic");
            Objects.requireNonNull(deadLettersTopic, "deadLettersTopic");
            Objects.requireNonNull(responses, "responses");
            Objects.requireNonNull(deadLetterReader, "deadLetterReader");
            Objects.requireNonNull(deadLetterWriter, "deadLetterWriter");
            Objects.requireNonNull(guard, "guard");
            Objects.requireNonNull(onReplaced, "onReplaced");
            Objects.requireNonNull(clock, "clock");
        }
    }

    private final RateLimitedLog replacedLog = new RateLimitedLog(10, TimeUnit.SECONDS);
    private Outputs outputs;

    /** For Kafka Streams, which instantiates the handler by class name and then calls {@link #configure}. */
    public OversizeOutcomeHandler() {}

    /** A handler configured directly (tests). */
    public OversizeOutcomeHandler(Outputs outputs) {
        this.outputs = Objects.requireNonNull(outputs, "outputs");
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object value = configs.get(OUTPUTS_CONFIG);
        if (!(value instanceof Outputs given)) {
            throw new ConfigException(
                    OUTPUTS_CONFIG,
                    value,
                    OversizeOutcomeHandler.class.getName() + " needs an " + Outputs.class.getName()
                            + " under this key; ChatBridgeApp sets it");
        }
        this.outputs = given;
    }

    @Override
    public Response handleError(
            ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (!isTooLarge(exception)) {
            return Response.fail();
        }
        String topic = record.topic();
        boolean response = outputs.responsesTopic().equals(topic);
        if (!response && !outputs.deadLettersTopic().equals(topic)) {
            LOG.error(
                    "A record of {} bytes for topic {} is too large ({}); it is not an outcome and cannot be "
                            + "replaced by a dead letter, so the instance fails. Raise the producer's max.request.size "
                            + "(now {}) and the topic's max.message.bytes",
                    size(record.value()),
                    topic,
                    exception.getMessage(),
                    outputs.producerMaxRequestSize());
            return Response.fail();
        }
        if (record.headers().lastHeader(MARKER_HEADER) != null) {
            LOG.error(
                    "Even the minimal dead letter ({} bytes) was refused for topic {}: {}. Raise the topic's "
                            + "max.message.bytes",
                    size(record.value()),
                    topic,
                    exception.getMessage());
            return Response.fail();
        }
        // Kafka refused a value the guard let through (a limit lowered at runtime, or more overhead than
        // the margin): values this large are refused at serialization from now on, where a dead letter can
        // replace them. Under exactly-once the producer has already put this transaction in an abortable
        // error state: a dead letter sent now would be aborted with it (and from the producer's I/O thread
        // a send can block on metadata for max.block.ms). So fail; the app replaces the stream thread,
        // which re-reads from the last commit, and the lowered guard replaces the outcome then.
        if (outputs.exactlyOnce()) {
            outputs.guard().refusedInTransaction(topic, size(record.value()));
            LOG.warn(
                    "Kafka refused an outcome of {} bytes for topic {} ({}); its exactly-once transaction is lost, "
                            + "the stream thread is replaced and the outcome becomes a dead letter when it is produced again",
                    size(record.value()),
                    topic,
                    exception.getMessage());
            return Response.fail();
        }
        outputs.guard().refused(topic, size(record.value()));
        Identity id = response ? identityOfResponse(record) : identityOfDeadLetter(record);
        return replace(
                context,
                topic,
                id,
                record.key(),
                size(record.value()),
                Sha256.hex(record.value()),
                record.timestamp(),
                exception);
    }

    @Override
    @SuppressWarnings("rawtypes") // the interface's own signature
    public Response handleSerializationError(
            ErrorHandlerContext context,
            ProducerRecord record,
            Exception exception,
            SerializationExceptionOrigin origin) {
        if (!(exception instanceof OutcomeSizeGuard.TooLargeException tooLarge)
                || origin != SerializationExceptionOrigin.VALUE) {
            return Response.fail();
        }
        String topic = record.topic();
        Identity id;
        if (record.value() instanceof ChatResponse r) {
            id = new Identity(r.getRequestId(), r.getThreadId(), r.getAttempts(), DeadLetterReason.RESPONSE_TOO_LARGE);
        } else if (record.value() instanceof ChatDeadLetter d) {
            id = new Identity(d.getRequestId(), d.getThreadId(), d.getAttempts(), d.getReason());
        } else {
            return Response.fail();
        }
        byte[] key = record.key() instanceof String k ? k.getBytes(StandardCharsets.UTF_8) : null;
        return replace(context, topic, id, key, tooLarge.size(), tooLarge.sha256(), record.timestamp(), exception);
    }

    private Response replace(
            ErrorHandlerContext context,
            String topic,
            Identity id,
            byte[] failedKey,
            int valueSize,
            String sha256,
            Long timestamp,
            Exception exception) {
        ChatDeadLetter letter = minimalDeadLetter(context, topic, id, failedKey, valueSize, sha256, exception);
        byte[] key = failedKey != null && failedKey.length <= MAX_KEY_BYTES ? failedKey : null;
        RecordHeaders headers = new RecordHeaders();
        headers.add(MARKER_HEADER, "1".getBytes(StandardCharsets.UTF_8));
        byte[] value = outputs.deadLetterWriter().serialize(outputs.deadLettersTopic(), headers, letter);
        outputs.onReplaced().run();
        logReplaced(topic, valueSize, letter);
        return Response.resume(
                List.of(new ProducerRecord<>(outputs.deadLettersTopic(), null, timestamp, key, value, headers)));
    }

    /** What the minimal dead letter keeps of the refused outcome. */
    record Identity(String requestId, String threadId, int attempts, DeadLetterReason reason) {
        static final Identity UNKNOWN_RESPONSE = new Identity(null, null, 0, DeadLetterReason.RESPONSE_TOO_LARGE);
    }

    private Identity identityOfResponse(ProducerRecord<byte[], byte[]> record) {
        try {
            ChatResponse r = outputs.responses().deserialize(record.topic(), record.headers(), record.value());
            return new Identity(
                    r.getRequestId(), r.getThreadId(), r.getAttempts(), DeadLetterReason.RESPONSE_TOO_LARGE);
        } catch (RuntimeException e) {
            LOG.debug("Could not decode the refused response; its ids are left null", e);
            return Identity.UNKNOWN_RESPONSE;
        }
    }

    private Identity identityOfDeadLetter(ProducerRecord<byte[], byte[]> record) {
        try {
            ChatDeadLetter d = outputs.deadLetterReader().deserialize(record.topic(), record.headers(), record.value());
            return new Identity(d.getRequestId(), d.getThreadId(), d.getAttempts(), d.getReason());
        } catch (RuntimeException e) {
            LOG.debug("Could not decode the refused dead letter; its ids and reason are left null/UNKNOWN", e);
            return new Identity(null, null, 0, DeadLetterReason.UNKNOWN);
        }
    }

    static boolean isTooLarge(Exception exception) {
        return exception instanceof RecordTooLargeException || exception instanceof RecordBatchTooLargeException;
    }

    ChatDeadLetter minimalDeadLetter(
            ErrorHandlerContext context,
            String topic,
            Identity id,
            byte[] failedKey,
            int valueSize,
            String sha256,
            Exception exception) {
        String requestId = id.requestId();
        String threadId = id.threadId();
        List<String> omitted = new ArrayList<>(List.of("event"));
        if (requestId != null && requestId.length() > MAX_ID_CHARS) {
            requestId = null;
            omitted.add("requestId");
        }
        if (threadId != null && threadId.length() > MAX_ID_CHARS) {
            threadId = null;
            omitted.add("threadId");
        }
        String what = outputs.responsesTopic().equals(topic) ? "ChatResponse" : "ChatDeadLetter";
        String message = "The " + what + " for this request was " + valueSize + " bytes (value, plus a key of "
                + (failedKey == null ? 0 : failedKey.length) + " bytes), too large for topic " + topic + " ("
                + exception.getClass().getSimpleName() + ": " + exception.getMessage() + "). It was not published and "
                + "not truncated; this smaller dead letter replaces it (rawValueSize and rawValueSha256 describe the "
                + "refused event). Raise the producer's max.request.size (now " + outputs.producerMaxRequestSize()
                + ") and the topic's max.message.bytes, or lower chat.response.max.bytes.";
        ChatDeadLetter.Builder letter = ChatDeadLetter.newBuilder()
                .setRequestId(requestId)
                .setThreadId(threadId)
                .setReason(id.reason())
                .setMessage(message)
                .setAttempts(id.attempts())
                .setRawKeySize(failedKey == null ? null : failedKey.length)
                .setRawValueSize(valueSize)
                .setRawValueSha256(sha256)
                .setOmitted(omitted)
                .setFailedAt(outputs.clock().instant());
        if (context != null && context.topic() != null && context.offset() >= 0) {
            letter.setSourceTopic(context.topic())
                    .setSourcePartition(context.partition())
                    .setSourceOffset(context.offset());
        }
        return letter.build();
    }

    private void logReplaced(String topic, int valueSize, ChatDeadLetter letter) {
        long suppressed = replacedLog.tryAcquire();
        if (suppressed >= 0) {
            LOG.warn(
                    "An outcome of {} bytes for topic {} was too large to publish (request {}); a minimal {} "
                            + "dead letter replaces it on {}. Raise max.request.size ({}) and the topics' max.message.bytes, "
                            + "or lower chat.response.max.bytes.{}",
                    valueSize,
                    topic,
                    letter.getRequestId(),
                    letter.getReason(),
                    outputs.deadLettersTopic(),
                    outputs.producerMaxRequestSize(),
                    suppressed > 0 ? " (" + suppressed + " more since the last such line)" : "");
        }
    }

    private static int size(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
