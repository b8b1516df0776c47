package dev.chatbridge.devtools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    @Test
    void shouldPrintOneLineOfKeyValuePairsWithFixedDecimals() {
        BenchResult r = new BenchResult("l64")
                .put("L", 64, 0)
                .put("calls_s", 291.456, 1)
                .put("eff", 0.98765, 3)
                .put("head_p50_ms", Double.NaN, 1)
                .note("window ended early");

        assertThat(r.line())
                .isEqualTo("l64          L=64 calls_s=291.5 eff=0.988 head_p50_ms=- note=window_ended_early");
    }

    @Test
    void shouldTakeTheMedianOfEachFigurePerWorkloadOverRuns() {
        List<BenchResult> run1 = List.of(
                new BenchResult("l64").put("calls_s", 100, 1).put("eff", 0.5, 3),
                new BenchResult("idle").put("cpu_s", 1, 2));
        List<BenchResult> run2 = List.of(
                new BenchResult("l64").put("calls_s", 300, 1).put("eff", 0.9, 3),
                new BenchResult("idle").put("cpu_s", 3, 2));
        List<BenchResult> run3 =
                List.of(new BenchResult("l64").put("calls_s", 200, 1).put("eff", 0.7, 3));

        List<BenchResult> medians = BenchResult.medians(List.of(run1, run2, run3));

        assertThat(medians)
                .extracting(BenchResult::line)
                .containsExactly("l64          calls_s=200.0 eff=0.700", "idle         cpu_s=2.00");
    }
}
