package dev.chatbridge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A {@link SchemaRegistryClient} over the Confluent Schema Registry REST API, on Reactor Netty.
 *
 * <p>Caches, each bounded to {@code max.schemas.per.subject} entries (least recently used out): (subject, schema) to
 * id, filled by {@link #register} and {@link #lookup}; id to schema, filled by {@link #getById}, {@link #register} and
 * {@link #getLatest} (ids never change). The latest version is never cached. Schemas are compared with
 * {@link Schema#equals}. Retries, failover and time bounds: see {@link RegistryHttp}.
 *
 * <p>Ids the registry does not know are remembered as unknown for {@code schema.registry.unknown.id.ttl.ms} (default 60
 * s) in a cache of {@code schema.registry.unknown.id.cache.size} ids (default 10 000, least recently asked out first),
 * so records that all carry a bogus id cost one registry call a minute. Lookups of ids not cached are bounded to
 * {@code schema.registry.id.lookups.per.second} (default 20, see {@link LookupRate}). Once a call fails as unavailable,
 * calls that need the registry fail at once for a backoff of 1 s doubling to 30 s, with one probe call after each (see
 * {@link OutageGate}); {@link #available()} reports it.
 *
 * <p>Worst case for a calling thread, with the defaults: a call never takes longer than
 * {@code schema.registry.call.timeout.ms} (5 s), plus for an uncached id at most
 * {@link RegistryClientConfig#LOOKUP_MAX_WAIT} ms (1 s) of waiting for the lookup rate bound: 6 s. During an outage,
 * calls fail in microseconds, except one probe per backoff.
 *
 * <p>Threading: blocking; meant for Kafka serializer threads, never for Netty event loops. Safe for concurrent use:
 * caches lock themselves, the HTTP client is thread-safe, and two threads missing the cache at once both ask the
 * registry (which gives both the same answer).
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    private record SubjectSchema(String subject, Schema schema) {}

    private final RegistryClientConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final RegistryHttp http;
    private final BoundedCache<SubjectSchema, Integer> ids;
    private final BoundedCache<Integer, Schema> schemas;
    private final BoundedCache<Integer, Long> unknownIds;
    private final LookupRate lookups;
    private final OutageGate outage;
    private volatile boolean closed;

    /**
     * A client for these settings; throws {@link dev.chatbridge.config.InvalidConfigurationException} when the
     * truststore cannot be loaded.
     */
    public RestSchemaRegistryClient(RegistryClientConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.http = new RegistryHttp(config, json);
        this.ids = new BoundedCache<>(config.maxSchemasPerSubject());
        this.schemas = new BoundedCache<>(config.maxSchemasPerSubject());
        this.unknownIds = new BoundedCache<>(config.unknownIdCacheSize());
        this.lookups = new LookupRate(
                config.idLookupsPerSecond(), Duration.ofMillis(RegistryClientConfig.LOOKUP_MAX_WAIT), System::nanoTime);
        this.outage = new OutageGate(config.outageBackoff(), config.outageBackoffMax(), System::nanoTime);
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
        Long unknownUntil = unknownIds.get(id);
        if (unknownUntil != null) {
            long left = unknownUntil - System.nanoTime();
            if (left > 0) {
                throw new SchemaRegistryException(
                        "Schema " + id + " not found: the registry said so less than "
                                + config.unknownIdTtl().toMillis() + " ms ago ("
                                + RegistryClientConfig.UNKNOWN_ID_TTL_MS
                                + "), asking again in " + Duration.ofNanos(left).toMillis() + " ms",
                        404,
                        SchemaRegistryException.SCHEMA_NOT_FOUND);
            }
            unknownIds.remove(id);
        }
        RegistryHttp.Answer reply;
        try {
            reply = call(HttpMethod.GET, path, null, true);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound() && !config.unknownIdTtl().isZero()) {
                unknownIds.put(id, System.nanoTime() + config.unknownIdTtl().toNanos());
            }
            throw e;
        }
        Schema schema = schemaOf(parse(reply, path), path);
        schemas.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema getLatest(String subject) {
        checkOpen();
        String path = "/subjects/" + encode(subject) + "/versions/latest";
        JsonNode answer = parse(call(HttpMethod.GET, path, null, false), path);
        Schema schema = schemaOf(answer, path);
        int id = intField(answer, "id", path);
        schemas.put(id, schema);
        return new RegisteredSchema(
                answer.path("subject").asText(subject), id, intField(answer, "version", path), schema);
    }

    /** False while calls fail at once after the registry was found unavailable. */
    @Override
    public boolean available() {
        return !closed && outage.open();
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
        JsonNode answer = parse(call(HttpMethod.POST, path, body, false), path);
        int id = intField(answer, "id", path);
        ids.put(key, id);
        schemas.put(id, schema);
        return id;
    }

    /** One HTTP call through the outage gate and, for lookups of uncached ids, the rate bound. */
    private RegistryHttp.Answer call(HttpMethod method, String path, String body, boolean rateBound) {
        String what = method + " " + path;
        boolean probe = outage.enter(what);
        if (rateBound) {
            try {
                lookups.acquire(what);
            } catch (SchemaRegistryException e) {
                // Our own bound, not the registry's answer: the gate learns nothing from it.
                outage.withdraw(probe);
                throw e;
            }
        }
        SchemaRegistryException failure = null;
        try {
            return http.call(method, path, body);
        } catch (SchemaRegistryException e) {
            failure = e;
            throw e;
        } finally {
            if (failure != null && failure.isUnavailable()) {
                outage.failed(failure);
            } else {
                outage.answered();
            }
        }
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
        return new SchemaRegistryException(
                "Schema registry answer to " + path + " is " + what + ": is " + RegistryClientConfig.SCHEMA_REGISTRY_URL
                        + " pointing at a Confluent-compatible schema registry?",
                status,
                SchemaRegistryException.NO_ERROR_CODE);
    }

    private static String encode(String subject) {
        return URLEncoder.encode(Objects.requireNonNull(subject, "subject"), StandardCharsets.UTF_8)
                .replace("+", "%20");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This schema registry client is closed");
        }
    }
}
