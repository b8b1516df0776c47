package dev.chatbridge.api;

import dev.chatbridge.events.ChatRequest;
import reactor.core.publisher.Mono;

/**
 * One attempt at answering a request with {@code POST /chats/v2}.
 *
 * <p>The returned {@code Mono} never errors: every failure is a {@link CallOutcome}. It completes on a Netty thread;
 * callers must not touch Kafka Streams from there. Cancelling the subscription aborts the call. Retries are the
 * caller's (see {@code RetryPolicy}).
 */
@FunctionalInterface
public interface ChatApi {

    /** Calls the API once for the request. */
    Mono<CallOutcome> call(ChatRequest request);

    /**
     * A synthetic check that the deployment's key is accepted at the endpoint, carrying no user's account and no user's
     * content; never errors. Used to tell whether a refusal ({@link CallOutcome.Refused}) is the request's or the
     * deployment's. The default (for in-process fakes) finds the key accepted.
     */
    default Mono<KeyCheck> checkKey() {
        return Mono.just(KeyCheck.accepted(null));
    }
}
