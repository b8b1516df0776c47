package dev.chatbridge.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps schema evolution safe: every released version of a published event schema is kept in
 * {@code schemas/released/<Record>/v<N>.avsc}, and the current schema must read data written with each of them
 * (BACKWARD, as the registry checks on register; checked against every release, i.e. BACKWARD_TRANSITIVE, so a chain of
 * small changes cannot drift).
 *
 * <p>To release a schema change: make it backward compatible (new fields need defaults), then add the new version as
 * the next {@code v<N>.avsc}.
 */
class SchemaEvolutionTest {

    private static final Path RELEASED = Paths.get("schemas", "released");

    static Stream<Arguments> releasedVersions() throws IOException {
        List<Arguments> versions = new ArrayList<>();
        for (Schema current :
                List.of(ChatRequest.getClassSchema(), ChatResponse.getClassSchema(), ChatDeadLetter.getClassSchema())) {
            try (Stream<Path> files = Files.list(RELEASED.resolve(current.getName()))) {
                files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc"))
                        .sorted()
                        .forEach(f -> versions.add(Arguments.of(current.getName(), f, current)));
            }
        }
        return versions.stream();
    }

    @ParameterizedTest(name = "{0} reads {1}")
    @MethodSource("releasedVersions")
    void shouldReadDataWrittenWithEveryReleasedVersion(String name, Path released, Schema current) throws IOException {
        Schema writer = new Schema.Parser().parse(released.toFile());

        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(current, writer);

        assertThat(result.getType())
                .as(
                        "current %s reading data written with %s: %s",
                        name, released, result.getResult().getIncompatibilities())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void shouldKeepAReleasedVersionOfEveryPublishedSchema() throws IOException {
        for (String name : List.of("ChatRequest", "ChatResponse", "ChatDeadLetter")) {
            try (Stream<Path> files = Files.list(RELEASED.resolve(name))) {
                assertThat(files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc")))
                        .as("released versions of %s under %s", name, RELEASED)
                        .isNotEmpty();
            }
        }
    }

    @Test
    void shouldMatchTheNewestReleaseOrBeANewerCompatibleVersion() throws IOException {
        // A change to a published schema must come with its release file: the newest release is
        // either the current schema or one the current schema can read (checked above).
        for (Schema current :
                List.of(ChatRequest.getClassSchema(), ChatResponse.getClassSchema(), ChatDeadLetter.getClassSchema())) {
            Path newest;
            try (Stream<Path> files = Files.list(RELEASED.resolve(current.getName()))) {
                newest = files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc"))
                        .max((a, b) -> Integer.compare(version(a), version(b)))
                        .orElseThrow();
            }
            Schema released = new Schema.Parser().parse(newest.toFile());
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(released, current)
                            .getType())
                    .as(
                            "%s changed since %s in a way the released readers cannot read; add it as the next"
                                    + " version under %s",
                            current.getName(), newest, RELEASED)
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void shouldDocumentEveryFieldOfEverySchema() throws IOException {
        List<String> undocumented = new ArrayList<>();
        for (Schema schema :
                List.of(ChatRequest.getClassSchema(), ChatResponse.getClassSchema(), ChatDeadLetter.getClassSchema())) {
            collectUndocumented(schema, undocumented, new ArrayList<>());
        }
        assertThat(undocumented).as("fields without a doc").isEmpty();
    }

    private static void collectUndocumented(Schema schema, List<String> undocumented, List<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.contains(schema.getFullName())) {
                    return;
                }
                seen.add(schema.getFullName());
                if (schema.getDoc() == null || schema.getDoc().isBlank()) {
                    undocumented.add(schema.getFullName());
                }
                for (Schema.Field field : schema.getFields()) {
                    if (field.doc() == null || field.doc().isBlank()) {
                        undocumented.add(schema.getFullName() + "." + field.name());
                    }
                    collectUndocumented(field.schema(), undocumented, seen);
                }
            }
            case UNION -> schema.getTypes().forEach(t -> collectUndocumented(t, undocumented, seen));
            case ARRAY -> collectUndocumented(schema.getElementType(), undocumented, seen);
            case MAP -> collectUndocumented(schema.getValueType(), undocumented, seen);
            case ENUM -> {
                if (schema.getDoc() == null || schema.getDoc().isBlank()) {
                    undocumented.add(schema.getFullName());
                }
            }
            default -> {
                // primitives carry no doc
            }
        }
    }

    private static int version(Path file) {
        String name = file.getFileName().toString();
        return Integer.parseInt(name.substring(1, name.indexOf('.')));
    }
}
