package dev.chatbridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The heap test of the answer limits: 64 calls in flight, each answered with 16.5 MB of a worst shape
 * ({@link AnswerHeapChild}), in a child JVM of 256 MB heap. Every call must end as RESPONSE_TOO_LARGE or as a retriable
 * "answer memory budget" failure, without OutOfMemoryError, with the budget returned, and with the live heap after
 * every GC below heap-before-the-calls + answer budget (a quarter of the heap) + 32 MiB.
 */
@Timeout(120)
class AnswerHeapIT {

    @Test
    void shouldKeepSixtyFourHugeAnswersInFlightWithinTheBudgetOfAQuarterOfA256MbHeap() throws Exception {
        // Given
        LoopbackServer server = LoopbackServer.start(AnswerHeapChild.handler());
        Path out = Files.createDirectories(Path.of("target", "it-processes")).resolve("answer-heap.out");
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder builder = new ProcessBuilder(List.of(
                        java,
                        "-Xmx256m",
                        "-XX:+ExitOnOutOfMemoryError",
                        AnswerHeapChild.class.getName(),
                        server.baseUrl()))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        builder.environment().put("CLASSPATH", classpath);

        // When
        Process child = builder.start();
        boolean ended = child.waitFor(100, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly();
        }

        server.close();

        // Then
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(ended).as("child ended in time; output:%n%s", output).isTrue();
        assertThat(output).as("child output").doesNotContain("OutOfMemoryError").contains("RESULT ok");
        assertThat(child.exitValue()).as("exit code; output:%n%s", output).isZero();
    }
}
