package dev.chatbridge.api;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/** The ChatResponse event of an answer, and its trip through Avro binary, for round-trip tests. */
final class ResponseEvents {

    private ResponseEvents() {}

    /** A ChatResponse with every field set: the request's, the answer's, and fixed bookkeeping values. */
    static ChatResponse of(ChatRequest request, ChatAnswer answer, Instant completedAt) {
        return ChatResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .setThreadId(request.getThreadId())
                .setAssistantId(request.getAssistantId())
                .setAccount(request.getAccount())
                .setMetadata(request.getMetadata())
                .setText(answer.text())
                .setToolCalls(answer.toolCalls())
                .setReferences(answer.references())
                .setSourcesIds(answer.sourcesIds())
                .setToolEvents(answer.toolEvents())
                .setApiRequestId(answer.apiRequestId())
                .setAttempts(3)
                .setLatencyMs(1234)
                .setCompletedAt(completedAt)
                .build();
    }

    /** The answer fields of an event, as a ChatAnswer again. */
    static ChatAnswer answerOf(ChatResponse event) {
        return new ChatAnswer(
                event.getText(),
                event.getToolCalls(),
                event.getReferences(),
                event.getSourcesIds(),
                event.getToolEvents(),
                event.getApiRequestId());
    }

    /** Writes the event with Avro's SpecificDatumWriter and reads it back with SpecificDatumReader. */
    static ChatResponse throughAvroBinary(ChatResponse event) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(ChatResponse.class).write(event, encoder);
        encoder.flush();
        return new SpecificDatumReader<>(ChatResponse.class)
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }
}
