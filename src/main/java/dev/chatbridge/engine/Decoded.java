package dev.chatbridge.engine;

import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.serde.SerdeException;

/**
 * What decoding one input record came to. Every variant keeps the input value's bytes, because the pending table stores
 * the producer's own bytes and dead letters report their size and hash.
 */
sealed interface Decoded {

    /** The input key's bytes (null for a null key). */
    byte[] rawKey();

    /** The input value's bytes (null for a tombstone). */
    byte[] value();

    /** A decoded request whose conversation key is usable; the record is keyed by it. */
    record Valid(ChatRequest request, byte[] rawKey, byte[] value) implements Decoded {}

    /** A decoded request that cannot be placed in any conversation (its conversation key is unusable). */
    record Refused(ChatRequest request, String problem, byte[] rawKey, byte[] value) implements Decoded {}

    /** Input that is not a ChatRequest. */
    record Undecodable(String problem, byte[] rawKey, byte[] value) implements Decoded {}

    /** Input that could not be decoded because the schema registry could not be asked; decoded later. */
    record Parked(byte[] rawKey, byte[] value, SerdeException cause) implements Decoded {}
}
