package dev.chatbridge.observability;

import dev.chatbridge.engine.OperatorPause;
import dev.chatbridge.engine.RegistryWait;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Liveness and readiness of one instance, from the state of its Kafka Streams client and whether the API accepts the
 * deployment. Same rules as {@code ChatBridgeApp.isLive()} / {@code isReady()}, with the reason spelled out for the ops
 * endpoints.
 *
 * <p><b>Threading.</b> Immutable; the suppliers must be safe to call from any thread.
 *
 * @param streamsState the Kafka Streams state now
 * @param apiAccepting false while dispatching is paused by an operator failure
 */
public record Health(
        Supplier<KafkaStreams.State> streamsState, BooleanSupplier apiAccepting, BooleanSupplier registryWaiting) {

    /** One probe's answer. */
    public record Status(boolean up, String reason) {}

    public Health {
        Objects.requireNonNull(streamsState, "streamsState");
        Objects.requireNonNull(apiAccepting, "apiAccepting");
        Objects.requireNonNull(registryWaiting, "registryWaiting");
    }

    /** Health of a running instance. */
    public static Health of(KafkaStreams streams, OperatorPause pause) {
        return new Health(streams::state, pause::isReady, () -> false);
    }

    /** Health of a running instance that also reports waiting for the schema registry as not ready. */
    public static Health of(KafkaStreams streams, OperatorPause pause, RegistryWait registry) {
        return new Health(streams::state, pause::isReady, registry::isWaiting);
    }

    /** Down only when Kafka Streams failed or stopped (ERROR, PENDING_ERROR, NOT_RUNNING). */
    public Status live() {
        KafkaStreams.State state = streamsState.get();
        return switch (state) {
            case ERROR, PENDING_ERROR, NOT_RUNNING -> new Status(false, "Kafka Streams is " + state);
            default -> new Status(true, "Kafka Streams is " + state);
        };
    }

    /** Up only when Kafka Streams is RUNNING and the API accepts the deployment. */
    public Status ready() {
        KafkaStreams.State state = streamsState.get();
        if (state != KafkaStreams.State.RUNNING) {
            return new Status(false, "Kafka Streams is " + state + ", not RUNNING");
        }
        if (!apiAccepting.getAsBoolean()) {
            return new Status(
                    false,
                    "the API refuses the deployment (operator failure: a key check without "
                            + "account was refused too: key, base URL or redirect, see the log); dispatching is paused until "
                            + "a key check is accepted");
        }
        if (registryWaiting.getAsBoolean()) {
            return new Status(
                    false,
                    "the schema registry cannot be asked (unreachable, or refusing with 401, 403, "
                            + "429 or 5xx); input is parked in the pending table and outcomes wait until it answers");
        }
        return new Status(true, "Kafka Streams is RUNNING and the API accepts calls");
    }
}
