package dev.chatbridge.devtools.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One printed line: a workload name and its figures as {@code key=value} pairs, in insertion order. Numbers keep a
 * fixed number of decimals per figure so the lines line up run to run.
 */
final class BenchResult {

    private final String workload;
    private final Map<String, Double> values = new LinkedHashMap<>();
    private final Map<String, Integer> decimals = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    BenchResult(String workload) {
        this.workload = workload;
    }

    String workload() {
        return workload;
    }

    /** Adds a figure shown with {@code places} decimals. */
    BenchResult put(String key, double value, int places) {
        values.put(key, value);
        decimals.put(key, places);
        return this;
    }

    /** Adds a free-text note, printed after the figures ({@code note=...}). */
    BenchResult note(String note) {
        notes.add(note);
        return this;
    }

    Map<String, Double> values() {
        return values;
    }

    /** The line: {@code workload key=value ...}; NaN prints as {@code -}. */
    String line() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-12s", workload));
        values.forEach((k, v) -> b.append(' ').append(k).append('=').append(format(v, decimals.get(k))));
        for (String n : notes) {
            b.append(" note=").append(n.replace(' ', '_'));
        }
        return b.toString();
    }

    private static String format(double v, int places) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%." + places + "f", v);
    }

    /**
     * The median of each figure over several runs, per workload, in the order of the first run (a workload or figure
     * missing from some runs takes the median of the runs that have it).
     */
    static List<BenchResult> medians(List<List<BenchResult>> runs) {
        Map<String, BenchResult> first = new LinkedHashMap<>();
        for (List<BenchResult> run : runs) {
            for (BenchResult r : run) {
                first.putIfAbsent(r.workload, r);
            }
        }
        List<BenchResult> out = new ArrayList<>();
        for (BenchResult template : first.values()) {
            BenchResult median = new BenchResult(template.workload);
            for (String key : template.values.keySet()) {
                List<Double> samples = new ArrayList<>();
                for (List<BenchResult> run : runs) {
                    for (BenchResult r : run) {
                        if (r.workload.equals(template.workload) && r.values.containsKey(key)) {
                            samples.add(r.values.get(key));
                        }
                    }
                }
                median.put(key, Stats.median(samples), template.decimals.get(key));
            }
            out.add(median);
        }
        return out;
    }
}
