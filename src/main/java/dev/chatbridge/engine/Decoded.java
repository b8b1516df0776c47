package dev.chatbridge.engine;

import dev.chatbridge.events.ChatDeadLetter;
import dev.chatbridge.events.ChatRequest;

/** What decoding one input record came to: a request, or a dead letter for bytes that are not one. */
sealed interface Decoded {

    /** A decoded request. */
    record Valid(ChatRequest request) implements Decoded {}

    /** Input that could not be decoded. */
    record Undecodable(ChatDeadLetter deadLetter) implements Decoded {}
}
