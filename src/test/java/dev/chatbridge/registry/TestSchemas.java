package dev.chatbridge.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;

/** Schemas the registry tests share: a record and its compatible and incompatible successors. */
final class TestSchemas {

    /** {@code Greeting{text}}. */
    static final Schema GREETING_V1 = SchemaBuilder.record("Greeting")
            .namespace("dev.chatbridge.test")
            .fields()
            .requiredString("text")
            .endRecord();

    /** V1 plus {@code lang} with a default: BACKWARD compatible. */
    static final Schema GREETING_V2 = SchemaBuilder.record("Greeting")
            .namespace("dev.chatbridge.test")
            .fields()
            .requiredString("text")
            .name("lang")
            .type()
            .stringType()
            .stringDefault("en")
            .endRecord();

    /** V1 plus {@code lang} without a default: not BACKWARD compatible (old data has no lang). */
    static final Schema GREETING_NO_DEFAULT = SchemaBuilder.record("Greeting")
            .namespace("dev.chatbridge.test")
            .fields()
            .requiredString("text")
            .requiredString("lang")
            .endRecord();

    /** An unrelated record. */
    static final Schema FAREWELL = SchemaBuilder.record("Farewell")
            .namespace("dev.chatbridge.test")
            .fields()
            .requiredLong("at")
            .endRecord();

    /** A schema whose default does not match its type: Avro objects hold it, the registry rejects it (42201). */
    static Schema invalidDefault() {
        return new Schema.Parser()
                .setValidateDefaults(false)
                .parse(
                        "{\"type\":\"record\",\"name\":\"Broken\",\"fields\":[{\"name\":\"n\",\"type\":\"int\",\"default\":\"not a number\"}]}");
    }

    private TestSchemas() {}
}
