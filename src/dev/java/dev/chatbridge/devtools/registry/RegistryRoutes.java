package dev.chatbridge.devtools.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatbridge.registry.CompatibilityLevel;
import dev.chatbridge.registry.RegisteredSchema;
import dev.chatbridge.registry.RegistryStore;
import dev.chatbridge.registry.SchemaRegistryException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.avro.Schema;

/**
 * The Confluent REST subset that {@link EmbeddedSchemaRegistry} serves, as a function from a request (method, path,
 * query, body) to an answer (status, JSON), over one {@link RegistryStore}.
 *
 * <p>Routes: {@code GET /subjects}, {@code GET|POST|DELETE /subjects/{s}}... see {@link #route(String, String, String,
 * String)}. Errors are Confluent's: {@code {"error_code":…,"message":…}} with 404/40401 unknown subject, 404/40402
 * unknown version, 404/40403 unknown schema, 409/409 incompatible, 422/42201 invalid schema, 422/42202 invalid version,
 * 422/42203 invalid compatibility level, 404/40408 no subject-level config, 400/400 malformed JSON, 404/404 unknown
 * path and 405/405 wrong method.
 *
 * <p>Thread-safe: stateless apart from the store, which locks itself.
 */
final class RegistryRoutes {

    /** An HTTP answer: status and JSON body. */
    record Answer(int status, String json) {}

    private static final String LEVELS =
            "none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive";

    private final RegistryStore store;
    private final ObjectMapper json = new ObjectMapper();

    RegistryRoutes(RegistryStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** Answers one request; never throws for a client mistake (that is an error answer). */
    Answer route(String method, String rawPath, String query, String body) {
        try {
            List<String> path = segments(rawPath);
            return dispatch(method, path, query == null ? "" : query, body);
        } catch (SchemaRegistryException e) {
            return error(e.httpStatus(), e.errorCode(), e.getMessage());
        }
    }

    /** A Confluent error answer. */
    Answer error(int status, int errorCode, String message) {
        ObjectNode node = json.createObjectNode();
        node.put("error_code", errorCode);
        node.put("message", message);
        return new Answer(status, node.toString());
    }

    private Answer dispatch(String method, List<String> path, String query, String body) {
        int size = path.size();
        String head = size == 0 ? "" : path.get(0);
        if (size == 0) {
            return only("GET", method, () -> ok(json.createObjectNode()));
        }
        switch (head) {
            case "subjects":
                if (size == 1) {
                    return only("GET", method, () -> ok(json.valueToTree(store.subjects())));
                }
                return subjects(method, path.get(1), path.subList(2, size), body);
            case "schemas":
                if (size >= 3
                        && size <= 4
                        && path.get(1).equals("ids")
                        && (size == 3 || path.get(3).equals("subjects"))) {
                    int id = id(path.get(2));
                    return only(
                            "GET",
                            method,
                            () -> size == 3
                                    ? ok(json.createObjectNode()
                                            .put("schema", store.schemaById(id).toString()))
                                    : ok(json.valueToTree(store.subjectsOf(id))));
                }
                return notFound();
            case "config":
                if (size > 2) {
                    return notFound();
                }
                return config(method, size == 2 ? path.get(1) : null, query, body);
            case "compatibility":
                if (size == 5
                        && path.get(1).equals("subjects")
                        && path.get(3).equals("versions")
                        && path.get(4).equals("latest")) {
                    return only("POST", method, () -> compatibility(path.get(2), query, body));
                }
                return notFound();
            default:
                return notFound();
        }
    }

    private Answer subjects(String method, String subject, List<String> rest, String body) {
        if (rest.isEmpty()) {
            return switch (method) {
                case "POST" -> subjectVersion(store.lookup(subject, schemaOf(body)));
                case "DELETE" -> ok(json.valueToTree(store.deleteSubject(subject)));
                default -> methodNotAllowed();
            };
        }
        if (!rest.get(0).equals("versions")
                || rest.size() > 3
                || rest.size() == 3 && !rest.get(2).equals("schema")) {
            return notFound();
        }
        if (rest.size() == 1) {
            return switch (method) {
                case "GET" -> ok(json.valueToTree(store.versionNumbers(subject)));
                case "POST" ->
                    ok(json.createObjectNode()
                            .put("id", store.register(subject, schemaOf(body)).id()));
                default -> methodNotAllowed();
            };
        }
        String version = rest.get(1);
        boolean rawSchema = rest.size() == 3;
        return only("GET", method, () -> {
            RegisteredSchema found =
                    isLatest(version) ? store.latest(subject) : store.version(subject, versionNumber(version));
            return rawSchema ? new Answer(200, found.schema().toString()) : subjectVersion(found);
        });
    }

    private Answer config(String method, String subject, String query, String body) {
        return switch (method) {
            case "GET" -> {
                if (subject == null) {
                    yield ok(json.createObjectNode()
                            .put("compatibilityLevel", store.globalLevel().name()));
                }
                CompatibilityLevel level = store.subjectLevel(subject).orElseGet(() -> {
                    if (query.contains("defaultToGlobal=true")) {
                        return store.globalLevel();
                    }
                    throw new SchemaRegistryException(
                            "Subject '" + subject + "' does not have subject-level compatibility configured",
                            404,
                            40408);
                });
                yield ok(json.createObjectNode().put("compatibilityLevel", level.name()));
            }
            case "PUT" -> {
                String name = object(body).path("compatibility").asText(null);
                CompatibilityLevel level = CompatibilityLevel.parse(name)
                        .orElseThrow(() -> new SchemaRegistryException(
                                "Invalid compatibility level. Valid values are " + LEVELS, 422, 42203));
                if (subject == null) {
                    store.globalLevel(level);
                } else {
                    store.subjectLevel(subject, level);
                }
                yield ok(json.createObjectNode().put("compatibility", level.name()));
            }
            default -> methodNotAllowed();
        };
    }

    private Answer compatibility(String subject, String query, String body) {
        List<String> problems = store.incompatibilitiesWithLatest(subject, schemaOf(body));
        ObjectNode answer = json.createObjectNode().put("is_compatible", problems.isEmpty());
        if (query.contains("verbose=true")) {
            answer.set("messages", json.valueToTree(problems));
        }
        return ok(answer);
    }

    private Answer subjectVersion(RegisteredSchema found) {
        return ok(json.createObjectNode()
                .put("subject", found.subject())
                .put("version", found.version())
                .put("id", found.id())
                .put("schema", found.schema().toString()));
    }

    /** The Avro schema of a register/lookup/compatibility body: {@code {"schema":"…"}}, AVRO only. */
    private Schema schemaOf(String body) {
        JsonNode request = object(body);
        String type = request.path("schemaType").asText("AVRO");
        if (!type.equalsIgnoreCase("AVRO")) {
            throw new SchemaRegistryException(
                    "Invalid schema type " + type + ": this registry serves AVRO only",
                    422,
                    SchemaRegistryException.INVALID_SCHEMA);
        }
        JsonNode references = request.path("references");
        if (references.isArray() && !references.isEmpty()) {
            throw new SchemaRegistryException(
                    "Invalid schema: schema references are not supported by this registry",
                    422,
                    SchemaRegistryException.INVALID_SCHEMA);
        }
        JsonNode schema = request.get("schema");
        return RegistryStore.parse(schema == null || schema.isNull() ? null : schema.asText());
    }

    private JsonNode object(String body) {
        JsonNode node;
        try {
            node = json.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new SchemaRegistryException("Unrecognized request body: " + e.getOriginalMessage(), 400, 400);
        }
        if (node == null || !node.isObject()) {
            throw new SchemaRegistryException("Unrecognized request body: expected a JSON object", 400, 400);
        }
        return node;
    }

    private static boolean isLatest(String version) {
        return version.equalsIgnoreCase("latest") || version.equals("-1");
    }

    private static int versionNumber(String version) {
        try {
            int number = Integer.parseInt(version);
            if (number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Not a number: the same answer as a number out of range, below.
        }
        throw new SchemaRegistryException(
                "The specified version '" + version + "' is not a valid version id. "
                        + "Allowed values are between [1, 2^31-1] and the string \"latest\"",
                422,
                42202);
    }

    private static int id(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException("HTTP 404 Not Found", 404, 404);
        }
    }

    private Answer ok(JsonNode node) {
        return new Answer(200, node.toString());
    }

    private Answer notFound() {
        return error(404, 404, "HTTP 404 Not Found");
    }

    private Answer methodNotAllowed() {
        return error(405, 405, "HTTP 405 Method Not Allowed");
    }

    private Answer only(String allowed, String method, Supplier<Answer> handler) {
        return allowed.equals(method) ? handler.get() : methodNotAllowed();
    }

    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String segment : rawPath.split("/")) {
            if (!segment.isEmpty()) {
                try {
                    segments.add(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new SchemaRegistryException("HTTP 404 Not Found: bad escape in the path", 404, 404);
                }
            }
        }
        return segments;
    }
}
