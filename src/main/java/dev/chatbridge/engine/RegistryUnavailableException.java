package dev.chatbridge.engine;

import dev.chatbridge.serde.SerdeException;
import org.apache.kafka.streams.errors.StreamsException;

/**
 * The schema registry could not be reached (after the registry client's bounded retries) while decoding input. The
 * input is not at fault, so it is not dead-lettered: the runner replaces the failed stream thread and the record is
 * read again from the last commit.
 */
public final class RegistryUnavailableException extends StreamsException {

    private static final long serialVersionUID = 1L;

    public RegistryUnavailableException(String topic, SerdeException cause) {
        super(
                "schema registry unreachable while decoding a record of topic '" + topic
                        + "'; the record stays unprocessed and is read again: " + cause.getMessage(),
                cause);
    }
}
