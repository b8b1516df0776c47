package dev.chatbridge.engine;

import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.ChatResponse;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The immutable catalogue of the engine's topics. Input keys are read as raw bytes (the engine derives the conversation
 * key from the value); both outputs are keyed by the conversation key as a string.
 *
 * @param requests ChatRequest input; its value serde also encodes the repartition topic (REKEY) and the requests kept
 *     in the pending table
 * @param responses ChatResponse output
 * @param deadLetters ChatDeadLetter output
 */
public record Topics(
        Topic<byte[], ChatRequest> requests,
        Topic<String, ChatResponse> responses,
        Topic<String, ChatDeadLetter> deadLetters) {

    public Topics {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(responses, "responses");
        Objects.requireNonNull(deadLetters, "deadLetters");
    }

    /** The catalogue for the topic names of the configuration and the given value serdes. */
    public static Topics of(
            EngineConfig config,
            Serde<ChatRequest> requestSerde,
            Serde<ChatResponse> responseSerde,
            Serde<ChatDeadLetter> deadLetterSerde) {
        return new Topics(
                new Topic<>(config.requestsTopic(), Serdes.ByteArray(), requestSerde),
                new Topic<>(config.responsesTopic(), Serdes.String(), responseSerde),
                new Topic<>(config.deadLettersTopic(), Serdes.String(), deadLetterSerde));
    }
}
