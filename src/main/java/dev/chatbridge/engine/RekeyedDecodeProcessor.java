package dev.chatbridge.engine;

import dev.chatbridge.events.ChatRequest;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * REKEY only: decodes the producer's bytes again after the repartition topic, where records are keyed by conversation.
 * Input that cannot be decoded now because the schema registry cannot be asked is parked by the async processor, as
 * without REKEY.
 *
 * <p><b>Threading.</b> Stream thread only.
 */
final class RekeyedDecodeProcessor implements Processor<String, byte[], String, Decoded> {

    private final Deserializer<ChatRequest> deserializer;
    private final RequestValidator validator;
    private ProcessorContext<String, Decoded> context;

    RekeyedDecodeProcessor(Deserializer<ChatRequest> deserializer, RequestValidator validator) {
        this.deserializer = deserializer;
        this.validator = validator;
    }

    @Override
    public void init(ProcessorContext<String, Decoded> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String topic = context.recordMetadata().map(m -> m.topic()).orElse(null);
        byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
        context.forward(record.withValue(DecodeProcessor.decode(deserializer, validator, topic, key, record.value())));
    }
}
