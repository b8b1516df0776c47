package dev.chatbridge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A {@link SchemaRegistryClient} over the Confluent Schema Registry REST API, on Reactor Netty.
 *
 * <p>Caches, each bounded to {@code max.schemas.per.subject} entries (least recently used out):
 * (subject, schema) to id, filled by {@link #register} and {@link #lookup}; id to schema, filled by
 * {@link #getById}, {@link #register} and {@link #getLatest} (ids never change). The latest
 * version is never cached. Schemas are compared with {@link Schema#equals}. Retries, failover
 * and time bounds: see {@link RegistryHttp}.
 *
 * <p>Threading: blocking; meant for Kafka serializer threads, never for Netty event loops. Safe
 * for concurrent use: caches lock themselves, the HTTP client is thread-safe, and two threads
 * missing the cache at once both ask the registry (which gives both the same answer).
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    private record SubjectSchema(String subject, Schema schema) {
    }

    private final RegistryClientConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final RegistryHttp http;
    private final BoundedCache<SubjectSchema, Integer> ids;
    private final BoundedCache<Integer, Schema> schemas;
    private volatile boolean closed;

    /** A client for these settings; throws {@link org.apache.kafka.common.config.ConfigException} when the truststore cannot be loaded. */
    public RestSchemaRegistryClient(RegistryClientConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.http = new RegistryHttp(config, json);
        this.ids = new BoundedCache<>(config.maxSchemasPerSubject());
        this.schemas = new BoundedCache<>(config.maxSchemasPerSubject());
    }

    @Override
    public int register(String subject, Schema schema) {
        return idOf(subject, schema, "/subjects/" + encode(subject) + "/versions");
    }

    @Override
    public int lookup(String subject, Schema schema) {
        return idOf(subject, schema, "/subjects/" + encode(subject));
    }

    @Override
    public Schema getById(int id) {
        checkOpen();
        Schema cached = schemas.get(id);
        if (cached != null) {
            return cached;
        }
        String path = "/schemas/ids/" + id;
        JsonNode answer = parse(http.call(HttpMethod.GET, path, null), path);
        Schema schema = schemaOf(answer, path);
        schemas.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema getLatest(String subject) {
        checkOpen();
        String path = "/subjects/" + encode(subject) + "/versions/latest";
        JsonNode answer = parse(http.call(HttpMethod.GET, path, null), path);
        Schema schema = schemaOf(answer, path);
        int id = intField(answer, "id", path);
        schemas.put(id, schema);
        return new RegisteredSchema(answer.path("subject").asText(subject), id, intField(answer, "version", path), schema);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            http.close();
        }
    }

    @Override
    public String toString() {
        return "RestSchemaRegistryClient{" + config + "}";
    }

    /** Register ({@code .../versions}) or lookup: both answer an id for (subject, schema). */
    private int idOf(String subject, Schema schema, String path) {
        checkOpen();
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = ids.get(key);
        if (cached != null) {
            return cached;
        }
        String body = json.createObjectNode().put("schema", schema.toString()).toString();
        JsonNode answer = parse(http.call(HttpMethod.POST, path, body), path);
        int id = intField(answer, "id", path);
        ids.put(key, id);
        schemas.put(id, schema);
        return id;
    }

    private JsonNode parse(RegistryHttp.Answer answer, String path) {
        try {
            JsonNode node = json.readTree(answer.body());
            if (node == null || !node.isObject()) {
                throw unexpected(answer.status(), path, "not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw unexpected(answer.status(), path, "not JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static int intField(JsonNode answer, String field, String path) {
        JsonNode value = answer.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw unexpected(200, path, "no integer \"" + field + "\"");
        }
        return value.intValue();
    }

    private static Schema schemaOf(JsonNode answer, String path) {
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw unexpected(200, path, "a " + type + " schema where AVRO was expected");
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw unexpected(200, path, "no \"schema\" string");
        }
        try {
            return RegistryStore.parse(text.asText());
        } catch (SchemaRegistryException e) {
            throw unexpected(200, path, "a schema that does not parse: " + e.getMessage());
        }
    }

    private static SchemaRegistryException unexpected(int status, String path, String what) {
        return new SchemaRegistryException("Schema registry answer to " + path + " is " + what
                + ": is " + RegistryClientConfig.SCHEMA_REGISTRY_URL + " pointing at a Confluent-compatible schema registry?",
                status, SchemaRegistryException.NO_ERROR_CODE);
    }

    private static String encode(String subject) {
        return URLEncoder.encode(Objects.requireNonNull(subject, "subject"), StandardCharsets.UTF_8).replace("+", "%20");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This schema registry client is closed");
        }
    }
}
