package dev.chatbridge.devtools.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.function.BooleanSupplier;

/**
 * A benchmark run that starts the bridge (or the blocking bridge) in a child JVM against three topics of its own, named
 * from the run's prefix: what every such run is given, and the steps they share. One instance per run, used by the
 * benchmark's thread.
 */
abstract class ChildRun {

    /** What the benchmark gives each run: its environment, plan, workload, name prefix, child JVM options and log. */
    record Setup(
            BenchEnvironment env,
            BenchPlan plan,
            Workload workload,
            String prefix,
            ChildOptions childOptions,
            PrintWriter log,
            BooleanSupplier stop) {}

    final BenchEnvironment env;
    final BenchPlan plan;
    final Workload workload;
    final String prefix;
    final ChildOptions childOptions;
    final PrintWriter log;
    final BooleanSupplier stop;
    final String requests;
    final String responses;
    final String deadLetters;

    ChildRun(Setup setup) {
        this.env = setup.env();
        this.plan = setup.plan();
        this.workload = setup.workload();
        this.prefix = setup.prefix();
        this.childOptions = setup.childOptions();
        this.log = setup.log();
        this.stop = setup.stop();
        this.requests = prefix + "-requests";
        this.responses = prefix + "-responses";
        this.deadLetters = prefix + "-dead-letters";
    }

    /** Runs the workload and returns what it measured. */
    abstract BenchResult run() throws IOException;

    /** Creates the run's three topics with the plan's partitions. */
    void createTopics() {
        env.createTopics(plan.partitions(), requests, responses, deadLetters);
    }

    /**
     * Starts the bridge in a child JVM on the run's topics against {@code apiUrl}, with the workload's in-flight limit,
     * room for {@code maxPending} requests and its metrics on a free port.
     */
    ChildJvm startBridge(String apiUrl, int maxPending) throws IOException {
        return childOptions.startBridge(
                env,
                prefix,
                apiUrl,
                requests,
                responses,
                deadLetters,
                workload.limit(),
                maxPending,
                BenchEnvironment.freePort());
    }
}
