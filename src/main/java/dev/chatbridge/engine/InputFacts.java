package dev.chatbridge.engine;

/**
 * What a dead letter keeps of the input record it comes from, even when the record's bytes are left out to fit the
 * output's size limit: where it was read and how big it was.
 *
 * @param partition partition of the record in the task's source topic, or -1 when unknown
 * @param offset offset of the record, or -1 when unknown
 * @param keySize bytes of the record key, or -1 for a null key (or unknown)
 * @param valueSize bytes of the record value, or -1 for a null value (or unknown)
 * @param valueSha256 lowercase hex SHA-256 of the value, or null when there was none (or unknown)
 * @param producer the producer's identity as its on-behalf-of token proved it when the record was read (the policy's
 *     stored form), or null when no token was checked
 */
record InputFacts(int partition, long offset, int keySize, int valueSize, String valueSha256, String producer) {

    /** Facts of an entry stored before they were kept. */
    static final InputFacts UNKNOWN = new InputFacts(-1, -1L, -1, -1, null, null);

    /** Facts without a producer identity. */
    InputFacts(int partition, long offset, int keySize, int valueSize, String valueSha256) {
        this(partition, offset, keySize, valueSize, valueSha256, null);
    }

    /** Facts without the hash, which {@link #hashOf} computes only when a dead letter needs it. */
    static InputFacts of(int partition, long offset, byte[] key, byte[] value) {
        return new InputFacts(
                partition, offset, key == null ? -1 : key.length, value == null ? -1 : value.length, null);
    }

    /** These facts with the value's hash, for an entry that will not keep the value itself. */
    InputFacts withHashOf(byte[] value) {
        return value == null
                ? this
                : new InputFacts(partition, offset, keySize, valueSize, Sha256.hex(value), producer);
    }

    /** These facts with the producer's identity (stored form), as checked when the record was read. */
    InputFacts withProducer(String identity) {
        return new InputFacts(partition, offset, keySize, valueSize, valueSha256, identity);
    }

    /** The value's hash: the one kept, or computed from the value when it is at hand. */
    String hashOf(byte[] value) {
        return valueSha256 != null ? valueSha256 : value == null ? null : Sha256.hex(value);
    }
}
