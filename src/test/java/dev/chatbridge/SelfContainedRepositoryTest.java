package dev.chatbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A reader of the repository alone can follow every reference: nothing points at design notes kept outside it. */
class SelfContainedRepositoryTest {

    /**
     * The names of the outside notes, written in pieces so that this file does not hold them either: the check
     * is a plain grep over src, docs, pom.xml and README.md.
     */
    private static final List<String> OUTSIDE = List.of(String.join("/", "shared", "design"), "engine" + ".md");

    @Test
    void shouldReferToNoDocumentOutsideTheRepository() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("pom.xml"), Path.of("README.md")));
        for (String dir : List.of("src", "docs", "k8s", "scripts")) {
            try (Stream<Path> walk = Files.walk(Path.of(dir))) {
                walk.filter(Files::isRegularFile)
                        .filter(p -> p.toString().matches(".*\\.(java|md|xml|yaml|yml|json|properties|sh|mjs)$")
                                || p.getParent().endsWith("scripts"))
                        .forEach(files::add);
            }
        }
        List<String> hits = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                for (String outside : OUTSIDE) {
                    if (lines.get(i).contains(outside)) {
                        hits.add(file + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertThat(hits)
                .as("references to documents outside the repository; move what they need into docs/")
                .isEmpty();
    }
}
