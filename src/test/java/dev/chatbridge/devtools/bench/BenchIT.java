package dev.chatbridge.devtools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.Main;
import dev.chatbridge.cli.CliContext;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code bench --quick} end to end for one small workload: its own embedded broker, registry and simulator, the bridge
 * as a child JVM. It checks the line is well formed and the figures are plausible; it asserts nothing about
 * performance.
 */
@Timeout(180)
class BenchIT {

    @Test
    void shouldPrintAWellFormedLineWithPlausibleFiguresForAQuickWorkload() {
        // Given the command line in-process, with captured output
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliContext context = new CliContext(
                Map.of(),
                new ByteArrayInputStream(new byte[0]),
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                false);

        // When the quick L=64 workload runs
        int code = Main.execute(context, "bench", "--quick", "--workloads", "l64", "--partitions", "3");

        // Then it exits 0 and prints one l64 line whose figures make sense
        assertThat(code).as("exit code; stdout:%n%s%nstderr:%n%s", out, err).isZero();
        Optional<String> line =
                out.toString().lines().filter(l -> l.startsWith("l64 ")).findFirst();
        assertThat(line).as("an l64 line in:%n%s", out).isPresent();
        Map<String, String> figures = figures(line.get());
        assertThat(figures)
                .containsKeys(
                        "L",
                        "calls_s",
                        "eff",
                        "little_s",
                        "call_ms",
                        "head_p50_ms",
                        "head_p99_ms",
                        "tail_p50_ms",
                        "tail_p99_ms",
                        "added_p50_ms",
                        "added_p99_ms",
                        "cpu_s_10k",
                        "calls",
                        "window_s");
        assertThat(figures.get("L")).isEqualTo("64");
        assertThat(Double.parseDouble(figures.get("calls")))
                .as("calls in the window")
                .isPositive();
        assertThat(Double.parseDouble(figures.get("calls_s"))).isPositive();
        assertThat(Double.parseDouble(figures.get("eff")))
                .as("efficiency")
                .isGreaterThan(0.0)
                .isLessThanOrEqualTo(1.05);
        assertThat(Double.parseDouble(figures.get("call_ms")))
                .as("mean call of a 200 ms API")
                .isGreaterThanOrEqualTo(199.0);
        assertThat(Double.parseDouble(figures.get("tail_p50_ms"))).as("tail").isPositive();
        assertThat(Double.parseDouble(figures.get("cpu_s_10k")))
                .as("CPU of the bridge")
                .isPositive();
        assertThat(figures).doesNotContainKey("dead_letters");
    }

    private static Map<String, String> figures(String line) {
        Map<String, String> out = new HashMap<>();
        Arrays.stream(line.trim().split("\\s+"))
                .skip(1)
                .filter(p -> p.contains("="))
                .forEach(p -> {
                    int eq = p.indexOf('=');
                    out.put(p.substring(0, eq), p.substring(eq + 1));
                });
        return out;
    }
}
