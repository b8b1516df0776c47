package dev.chatbridge.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

/**
 * The registry itself, in memory: one implementation of Confluent's rules, used directly by the mock client and over
 * HTTP by {@link EmbeddedSchemaRegistry}.
 *
 * <p>Rules, as Confluent's: a schema's global id depends only on the schema (its parsed form as Avro prints it), so the
 * same schema has the same id in every subject; registering a schema the subject already has returns its id without a
 * new version; a new version must pass the subject's compatibility level (the global one, BACKWARD by default). Errors
 * are {@link SchemaRegistryException}s carrying the HTTP status and error code the REST API answers. Deleting a subject
 * forgets its versions (ids stay resolvable, as after Confluent's soft delete); registering again restarts at version
 * 1.
 *
 * <p>Thread-safe: every method holds the instance lock; all state is owned by that lock. Bounded: at most
 * {@code maxSchemas} distinct schemas and as many versions in all.
 */
public final class RegistryStore {

    static final int DEFAULT_MAX_SCHEMAS = 10_000;

    private final int maxSchemas;
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, List<Integer>> idsBySubject = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;
    private int versionCount;

    public RegistryStore() {
        this(DEFAULT_MAX_SCHEMAS);
    }

    public RegistryStore(int maxSchemas) {
        this.maxSchemas = maxSchemas;
    }

    /** Parses a schema as the registry accepts it; 422 / 42201 when it does not parse. */
    public static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw new SchemaRegistryException(
                    "Invalid schema: the schema is empty", 422, SchemaRegistryException.INVALID_SCHEMA);
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (AvroRuntimeException | NullPointerException | IllegalArgumentException e) {
            throw new SchemaRegistryException(
                    "Invalid schema: " + e.getMessage(), 422, SchemaRegistryException.INVALID_SCHEMA);
        }
    }

    /** {@code POST /subjects/{subject}/versions}. */
    public synchronized RegisteredSchema register(String subject, Schema schema) {
        String canonical = schema.toString();
        Integer knownId = idsByCanonical.get(canonical);
        List<Integer> versions = idsBySubject.getOrDefault(subject, List.of());
        if (knownId != null && versions.contains(knownId)) {
            return new RegisteredSchema(subject, knownId, versions.indexOf(knownId) + 1, schemasById.get(knownId));
        }
        List<Schema> existing = versions.stream().map(schemasById::get).toList();
        List<String> problems = level(subject).incompatibilities(schema, existing);
        if (!problems.isEmpty()) {
            throw new SchemaRegistryException(
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                            + "\" (compatibility " + level(subject) + "), details: " + problems,
                    409,
                    SchemaRegistryException.INCOMPATIBLE_SCHEMA);
        }
        if (versionCount >= maxSchemas || knownId == null && schemasById.size() >= maxSchemas) {
            throw new SchemaRegistryException(
                    "The in-memory registry is full (" + maxSchemas
                            + " schemas): delete subjects or start a new registry",
                    500,
                    50001);
        }
        int id = knownId != null ? knownId : schemasById.size() + 1;
        if (knownId == null) {
            idsByCanonical.put(canonical, id);
            schemasById.put(id, schema);
        }
        idsBySubject.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
        versionCount++;
        return new RegisteredSchema(subject, id, idsBySubject.get(subject).size(), schemasById.get(id));
    }

    /** {@code POST /subjects/{subject}}: 40401 unknown subject, 40403 schema not in the subject. */
    public synchronized RegisteredSchema lookup(String subject, Schema schema) {
        List<Integer> versions = versions(subject);
        Integer id = idsByCanonical.get(schema.toString());
        if (id == null || !versions.contains(id)) {
            throw new SchemaRegistryException("Schema not found", 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        }
        return new RegisteredSchema(subject, id, versions.indexOf(id) + 1, schemasById.get(id));
    }

    /** {@code GET /schemas/ids/{id}}: 40403 when no schema has that id. */
    public synchronized Schema schemaById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(
                    "Schema " + id + " not found", 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        }
        return schema;
    }

    /** {@code GET /schemas/ids/{id}/subjects}. */
    public synchronized List<String> subjectsOf(int id) {
        schemaById(id);
        return idsBySubject.entrySet().stream()
                .filter(e -> e.getValue().contains(id))
                .map(Map.Entry::getKey)
                .toList();
    }

    /** {@code GET /subjects}, sorted. */
    public synchronized List<String> subjects() {
        return List.copyOf(idsBySubject.keySet());
    }

    /** {@code GET /subjects/{subject}/versions}: 40401 unknown subject. */
    public synchronized List<Integer> versionNumbers(String subject) {
        int count = versions(subject).size();
        List<Integer> numbers = new ArrayList<>(count);
        for (int v = 1; v <= count; v++) {
            numbers.add(v);
        }
        return numbers;
    }

    /** {@code GET /subjects/{subject}/versions/{version}}: 40401 unknown subject, 40402 unknown version. */
    public synchronized RegisteredSchema version(String subject, int version) {
        List<Integer> versions = versions(subject);
        if (version < 1 || version > versions.size()) {
            throw new SchemaRegistryException(
                    "Version " + version + " not found.", 404, SchemaRegistryException.VERSION_NOT_FOUND);
        }
        int id = versions.get(version - 1);
        return new RegisteredSchema(subject, id, version, schemasById.get(id));
    }

    /** {@code GET /subjects/{subject}/versions/latest}: 40401 unknown subject. */
    public synchronized RegisteredSchema latest(String subject) {
        return version(subject, versions(subject).size());
    }

    /** {@code POST /compatibility/subjects/{subject}/versions/latest}: true when there is no version yet. */
    public synchronized List<String> incompatibilitiesWithLatest(String subject, Schema schema) {
        List<Integer> versions = idsBySubject.getOrDefault(subject, List.of());
        List<Schema> existing = versions.stream().map(schemasById::get).toList();
        return level(subject).incompatibilities(schema, existing);
    }

    /** {@code DELETE /subjects/{subject}}: the versions it had; 40401 unknown subject. */
    public synchronized List<Integer> deleteSubject(String subject) {
        List<Integer> numbers = versionNumbers(subject);
        idsBySubject.remove(subject);
        subjectLevels.remove(subject);
        versionCount -= numbers.size();
        return numbers;
    }

    public synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    public synchronized void globalLevel(CompatibilityLevel level) {
        this.globalLevel = level;
    }

    /** The subject's own level, if it has one. */
    public synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    public synchronized void subjectLevel(String subject, CompatibilityLevel level) {
        if (!subjectLevels.containsKey(subject) && subjectLevels.size() >= maxSchemas) {
            throw new SchemaRegistryException(
                    "The in-memory registry is full (" + maxSchemas + " subject configs): start a new registry",
                    500,
                    50001);
        }
        subjectLevels.put(subject, level);
    }

    private CompatibilityLevel level(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    private List<Integer> versions(String subject) {
        List<Integer> versions = idsBySubject.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(
                    "Subject '" + subject + "' not found.", 404, SchemaRegistryException.SUBJECT_NOT_FOUND);
        }
        return versions;
    }
}
