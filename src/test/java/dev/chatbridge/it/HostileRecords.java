package dev.chatbridge.it;

import dev.chatbridge.events.ChatMessage;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.events.MessageRole;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Input records that no well-behaved producer writes, built byte by byte: requests that decode but break the request
 * contract (huge or control-character ids, huge metadata, blank thread), Avro length bombs (a length prefix that claims
 * billions of bytes or items), truncated and bit-flipped records, a wrong magic byte, unknown schema ids, and a
 * tombstone.
 *
 * <p>Avro binary as the ChatRequest schema lays it out: {@code requestId} (string), then the unions {@code threadId},
 * {@code assistantId}, {@code account} (index 0 null, 1 string), the {@code messages} array (block count, items
 * {@code role} enum index and {@code text} union, terminating 0), the {@code metadata} map (block count, key/value
 * strings, 0) and the {@code createdAt} union. Counts and lengths are zig-zag varints
 * ({@link BinaryEncoder#writeLong}).
 *
 * <p>Stateless; every method returns new arrays.
 */
final class HostileRecords {

    /** What a length bomb claims for a string or bytes: 2e9 bytes. */
    static final long CLAIMED_BYTES = 2_000_000_000L;
    /** What a length bomb claims for an array or map: 2^31 - 1 items. */
    static final long CLAIMED_ITEMS = Integer.MAX_VALUE;

    /** One hostile record and the dead letter it must get. */
    record Hostile(String name, DeadLetterReason expected, String requestIdPrefix, byte[] key, byte[] value) {
        /** True when the dead letter can be matched by its requestId (the record decodes). */
        boolean decodable() {
            return requestIdPrefix != null;
        }
    }

    private HostileRecords() {}

    /**
     * Requests that decode with the registered schema but must be refused without a call ({@code INVALID_REQUEST}).
     * Each requestId starts with a unique {@code hxNN-} prefix.
     */
    static List<Hostile> invalidRequests(Function<ChatRequest, byte[]> serializer) {
        List<Hostile> out = new ArrayList<>();
        // ~900 KB: 300 KB threadId, 300 KB metadata, 280 KB of text, blank account
        Map<String, String> bigMetadata = new LinkedHashMap<>();
        for (int i = 0; i < 300; i++) {
            bigMetadata.put(String.format("key-%03d", i), "m".repeat(1_024));
        }
        out.add(invalid(
                "huge-thread-metadata-text",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx01-huge-thread-metadata-text")
                        .setThreadId("hx01-thread-" + "t".repeat(300 * 1024))
                        .setAccount("   ")
                        .setMetadata(bigMetadata)
                        .setMessages(List.of(user("x".repeat(280 * 1024))))));
        out.add(invalid(
                "huge-request-id",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx02-huge-request-id-" + "r".repeat(300 * 1024))
                        .setThreadId("hx02-thread")
                        .setMessages(List.of(user("hello")))));
        Map<String, String> metadata20k = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            metadata20k.put(String.format("key-%02d", i), "v".repeat(1_024));
        }
        out.add(invalid(
                "metadata-20k",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx03-metadata-20k")
                        .setThreadId("hx03-thread")
                        .setMetadata(metadata20k)
                        .setMessages(List.of(user("hello")))));
        out.add(invalid(
                "newline-in-request-id",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx04-newline\nInjected-Header: yes")
                        .setThreadId("hx04-thread")
                        .setMessages(List.of(user("hello")))));
        out.add(invalid(
                "nul-in-thread-id",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx05-nul-in-thread-id")
                        .setThreadId("hx05-thread\u0000nul")
                        .setMessages(List.of(user("hello")))));
        out.add(invalid(
                "ansi-escape-in-thread-id",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx06-ansi-escape-in-thread-id")
                        .setThreadId("hx06-thread-\u001b[31mred\u001b[0m")
                        .setMessages(List.of(user("hello")))));
        out.add(invalid(
                "ansi-escape-in-request-id",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx07-\u001b[31mred\u001b[0m")
                        .setThreadId("hx07-thread")
                        .setMessages(List.of(user("hello")))));
        out.add(invalid(
                "blank-thread-id",
                serializer,
                ChatRequest.newBuilder()
                        .setRequestId("hx08-blank-thread-id")
                        .setThreadId("")
                        .setMessages(List.of(user("hello")))));
        return out;
    }

    private static Hostile invalid(String name, Function<ChatRequest, byte[]> serializer, ChatRequest.Builder request) {
        ChatRequest r = request.build();
        String prefix = r.getRequestId().substring(0, 5);
        return new Hostile(name, DeadLetterReason.INVALID_REQUEST, prefix, key(name), serializer.apply(r));
    }

    /**
     * A legal request (64 KiB of text, within the text limit) that the API answers with 1 MiB of problem details
     * ({@code BAD_REQUEST}): a dead letter keeping the whole request and all problem details (about 1.02 MB in Avro for
     * the problem alone) cannot fit a 1 MiB record.
     */
    static Hostile hugeBadRequest(Function<ChatRequest, byte[]> serializer) {
        ChatRequest r = ChatRequest.newBuilder()
                .setRequestId("hx09-huge-400")
                .setThreadId("hx09-thread")
                .setMessages(List.of(user("Please answer " + "q".repeat(64 * 1024) + " #fault:400-huge")))
                .build();
        return new Hostile(
                "huge-400-answer", DeadLetterReason.BAD_REQUEST, "hx09-", key("huge-400-answer"), serializer.apply(r));
    }

    /**
     * Records that must become {@code UNDECODABLE_INPUT}: length bombs, truncation, a wrong magic byte, a tombstone.
     * {@code valid} is a framed, decodable request (schema id {@code requestSchemaId}) to cut and corrupt;
     * {@code blobSchemaId} is a registered ChatRequest writer schema with an extra {@code ["null","bytes"]} field at
     * the end (see {@link #withExtraField}).
     */
    static List<Hostile> undecodable(int requestSchemaId, int blobSchemaId, byte[] valid) {
        List<Hostile> out = new ArrayList<>();
        out.add(bomb("array-claims-2^31-messages", frame(requestSchemaId, body(e -> {
            nullsAfterRequestId(e, "ux01");
            e.writeLong(CLAIMED_ITEMS); // messages block count
            writeMessage(e, "hello");
        }))));
        out.add(bomb("string-claims-2e9-bytes", frame(requestSchemaId, body(e -> {
            e.writeLong(CLAIMED_BYTES); // requestId length
            e.writeFixed("ux02-and-then-nothing".getBytes(StandardCharsets.UTF_8));
        }))));
        out.add(bomb("bytes-claims-2e9-bytes", frame(blobSchemaId, body(e -> {
            validFields(e, "ux03");
            e.writeIndex(1); // blob: the bytes branch
            e.writeLong(CLAIMED_BYTES);
            e.writeFixed(new byte[] {1, 2, 3});
        }))));
        out.add(bomb("map-claims-2^31-entries", frame(requestSchemaId, body(e -> {
            nullsAfterRequestId(e, "ux04");
            e.writeLong(1);
            writeMessage(e, "hello");
            e.writeLong(0);
            e.writeLong(CLAIMED_ITEMS); // metadata block count
            e.writeString("k");
            e.writeString("v");
        }))));
        out.add(bomb("nested-text-claims-2e9-bytes", frame(requestSchemaId, body(e -> {
            nullsAfterRequestId(e, "ux05");
            e.writeLong(1);
            e.writeEnum(0);
            e.writeIndex(1);
            e.writeLong(CLAIMED_BYTES); // text length inside a valid one-item array
            e.writeFixed("hello".getBytes(StandardCharsets.UTF_8));
        }))));
        out.add(bomb("negative-string-length", frame(requestSchemaId, body(e -> {
            e.writeLong(-5); // requestId length
            e.writeFixed("ux06".getBytes(StandardCharsets.UTF_8));
        }))));
        out.add(bomb("truncated-body", Arrays.copyOf(valid, valid.length / 2)));
        out.add(bomb("truncated-header", new byte[] {0, 0, 0}));
        byte[] badMagic = valid.clone();
        badMagic[0] = 1;
        out.add(bomb("wrong-magic-byte", badMagic));
        out.add(new Hostile("tombstone", DeadLetterReason.UNDECODABLE_INPUT, null, key("tombstone"), null));
        return out;
    }

    /**
     * {@code valid} with one bit flipped at {@code index} (into the framed bytes), for the caller to check with its own
     * deserializer that it no longer decodes.
     */
    static Hostile bitFlipped(String name, byte[] valid, int index, int bit) {
        byte[] flipped = valid.clone();
        flipped[index] ^= (byte) (1 << bit);
        return bomb(name, flipped);
    }

    /** {@code count} records whose schema ids (900000 and up) no registry knows, with a valid body. */
    static List<Hostile> unknownSchemaIds(byte[] valid, int count) {
        List<Hostile> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] v = valid.clone();
            ByteBuffer.wrap(v, 1, 4).putInt(900_000 + i);
            out.add(new Hostile(
                    "unknown-schema-id-" + (900_000 + i),
                    DeadLetterReason.UNDECODABLE_INPUT,
                    null,
                    key("unknown-schema-id"),
                    v));
        }
        return out;
    }

    /** The ChatRequest schema with one more field at the end (same name, so readers resolve it). */
    static Schema withExtraField(String name, Schema type, Object defaultValue) {
        Schema base = ChatRequest.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : base.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field(name, type, "Test-only field " + name + ".", defaultValue));
        return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
    }

    /** {@code ["null", <type>]} with a null default, for {@link #withExtraField}. */
    static Schema nullable(Schema.Type type) {
        return Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(type));
    }

    /** The null default of {@link #nullable} fields. */
    static Object nullDefault() {
        return JsonProperties.NULL_VALUE;
    }

    /**
     * A request framed for a writer schema that is ChatRequest plus one nullable field at the end (written as null):
     * the ChatRequest encoding followed by union index 0.
     */
    static byte[] framedWithNullExtraField(int schemaId, ChatRequest request) {
        return frame(schemaId, body(e -> {
            new SpecificDatumWriter<>(ChatRequest.class).write(request, e);
            e.writeIndex(0);
        }));
    }

    /** The Confluent framing: magic byte 0, the schema id, the body. */
    static byte[] frame(int schemaId, byte[] body) {
        return ByteBuffer.allocate(5 + body.length)
                .put((byte) 0)
                .putInt(schemaId)
                .put(body)
                .array();
    }

    /** The schema id of framed bytes. */
    static int schemaIdOf(byte[] framed) {
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }

    private static Hostile bomb(String name, byte[] value) {
        return new Hostile(name, DeadLetterReason.UNDECODABLE_INPUT, null, key(name), value);
    }

    private static byte[] key(String name) {
        return ("hostile-" + name).getBytes(StandardCharsets.UTF_8);
    }

    private static ChatMessage user(String text) {
        return ChatMessage.newBuilder().setRole(MessageRole.User).setText(text).build();
    }

    /** requestId, then threadId, assistantId and account all null. */
    private static void nullsAfterRequestId(BinaryEncoder e, String requestId) throws IOException {
        e.writeString(requestId);
        e.writeIndex(0);
        e.writeIndex(0);
        e.writeIndex(0);
    }

    /** Every ChatRequest field, valid: one message, empty metadata, null createdAt. */
    private static void validFields(BinaryEncoder e, String requestId) throws IOException {
        nullsAfterRequestId(e, requestId);
        e.writeLong(1);
        writeMessage(e, "hello");
        e.writeLong(0);
        e.writeLong(0);
        e.writeIndex(0);
    }

    private static void writeMessage(BinaryEncoder e, String text) throws IOException {
        e.writeEnum(0);
        e.writeIndex(1);
        e.writeString(text);
    }

    @FunctionalInterface
    private interface Writes {
        void to(BinaryEncoder encoder) throws IOException;
    }

    private static byte[] body(Writes writes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writes.to(e);
            e.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }
}
