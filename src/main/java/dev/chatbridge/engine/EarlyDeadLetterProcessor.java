package dev.chatbridge.engine;

import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.serde.SerdeException;
import java.time.Clock;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * REKEY only: the dead letter of input refused before the repartition topic (undecodable, without a usable conversation
 * key, or larger than {@code chat.request.max.bytes}, which the repartition topic must not carry). Such input belongs
 * to no conversation that could be kept in order, so its dead letter is published at once. While the schema registry
 * cannot be asked to serialize it, the stream thread fails with {@link RegistryUnavailableException} and its
 * replacement reads the record again.
 *
 * <p><b>Threading.</b> Stream thread only.
 */
final class EarlyDeadLetterProcessor implements Processor<String, Decoded, String, byte[]> {

    private final EngineConfig config;
    private final OutcomeWriter writer;
    private final Clock clock;
    private ProcessorContext<String, byte[]> context;

    EarlyDeadLetterProcessor(EngineConfig config, Topics topics, EngineResources resources, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.writer = new OutcomeWriter(
                topics.responses(), topics.deadLetters(), config.maxResponseBytes(), resources::outputLimit);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, Decoded> record) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        Decoded decoded = record.value();
        InputFacts input = InputFacts.of(
                source == null ? -1 : source.partition(),
                source == null ? -1 : source.offset(),
                decoded.rawKey(),
                decoded.value());
        Instant now = clock.instant();
        ChatDeadLetter letter;
        String key = null;
        if (decoded instanceof Decoded.Undecodable u) {
            letter = Outcomes.withInput(
                    Outcomes.undecodable(u.problem(), now), topic(source), input, u.rawKey(), u.value(), u.value());
        } else if (decoded instanceof Decoded.Refused r) {
            letter = Outcomes.withInput(
                    Outcomes.refused(r.request(), null, null, r.problem(), now),
                    topic(source),
                    input,
                    null,
                    null,
                    r.value());
        } else {
            Decoded.Valid v = (Decoded.Valid) decoded;
            key = record.key();
            letter = Outcomes.withInput(
                    Outcomes.refused(
                            null,
                            v.request().getRequestId(),
                            v.request().getThreadId(),
                            "the request record is " + v.value().length + " bytes, more than "
                                    + EngineConfig.KEY_MAX_REQUEST_BYTES + "=" + config.maxRequestBytes(),
                            now),
                    topic(source),
                    input,
                    null,
                    null,
                    v.value());
        }
        try {
            context.forward(
                    record.withKey(key).withValue(writer.deadLetter(letter).bytes()));
        } catch (OutcomeWriter.NotWritable e) {
            throw new RegistryUnavailableException(topic(source), (SerdeException) e.getCause());
        }
    }

    private static String topic(RecordMetadata source) {
        return source == null ? null : source.topic();
    }
}
