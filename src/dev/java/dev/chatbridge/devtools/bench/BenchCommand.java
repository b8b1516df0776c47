package dev.chatbridge.devtools.bench;

import dev.chatbridge.cli.CliContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chat-bridge bench}: the fixed workloads of docs/benchmarks.md, one line each. It starts an embedded broker,
 * registry and simulator on 127.0.0.1 in this JVM, runs each bridge under test as a child JVM, and cleans everything up
 * on exit or Ctrl-C (children by PID, the temporary directory). Benchmarks report; they assert nothing about
 * performance.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the benchmark workloads against this jar on 127.0.0.1 and prints one line per workload",
            "(figures are key=value; see docs/benchmarks.md). Workloads: l64, l256, l1024 (200 ms to first byte),",
            "llm (log-normal 2 s / 15 s, long streamed answers, L=1024), max (no latency), their raw-client",
            "baselines netty-l64 ... netty-max, blocking (synchronous calls in process()), idle, heap."
        })
public final class BenchCommand implements Callable<Integer> {

    private final CliContext context;

    @Option(
            names = "--workloads",
            split = ",",
            paramLabel = "NAME",
            description =
                    "Workloads to run, comma-separated, in the order given (default: all, in the documented order).")
    List<String> workloads = new ArrayList<>();

    @Option(
            names = "--repeat",
            defaultValue = "1",
            paramLabel = "N",
            description =
                    "Runs of the whole set; with more than one, the median of each figure follows (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(
            names = "--quick",
            description = "A smoke run: seconds per workload instead of half a minute, fewer requests.")
    boolean quick;

    @Option(
            names = "--warmup",
            paramLabel = "SECONDS",
            description =
                    "Warm-up from the first API call, for every workload (default 90, 30 for the raw client; 3 with --quick).")
    Integer warmupSeconds;

    @Option(
            names = "--window",
            paramLabel = "SECONDS",
            description =
                    "The measured window (default 20, or 4 with --quick; the LLM-like workload's is 1.5 times longer).")
    Integer windowSeconds;

    @Option(
            names = "--partitions",
            defaultValue = "6",
            paramLabel = "N",
            description =
                    "Partitions of the request and outcome topics (default ${DEFAULT-VALUE}, as chat.topics.partitions).")
    int partitions;

    @Option(
            names = "--child-heap",
            defaultValue = "1g",
            paramLabel = "SIZE",
            description = "-Xmx of the bridge's JVM (default ${DEFAULT-VALUE}).")
    String childHeap;

    @Option(
            names = "--child-set",
            paramLabel = "KEY=VALUE",
            description = "A setting added to every bridge under test (as run --set), e.g. poll.ms=10. Repeatable.")
    List<String> childSets = new ArrayList<>();

    @Option(
            names = "--keep-temp",
            description = "Keep the temporary directory (child logs, state) and print where it is.")
    boolean keepTemp;

    /** Bound to {@code context}'s streams, environment and stop signal. */
    public BenchCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PrintWriter out = context.out();
        PrintWriter err = context.err();
        List<Workload> selected;
        try {
            selected = select();
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        if (repeat < 1 || repeat > 20 || partitions < 1 || partitions > 64) {
            err.println("error: --repeat must be in [1, 20] and --partitions in [1, 64]");
            return 2;
        }
        for (String s : childSets) {
            if (!s.contains("=")) {
                err.println("error: --child-set takes KEY=VALUE, got '" + s + "'");
                return 2;
            }
        }
        if ((warmupSeconds != null && (warmupSeconds < 0 || warmupSeconds > 3_600))
                || (windowSeconds != null && (windowSeconds < 1 || windowSeconds > 3_600))) {
            err.println("error: --warmup must be in [0, 3600] seconds and --window in [1, 3600]");
            return 2;
        }
        BenchPlan plan = quick ? BenchPlan.quick(partitions) : BenchPlan.full(partitions);
        if (warmupSeconds != null) {
            plan = plan.withWarmup(Duration.ofSeconds(warmupSeconds));
        }
        if (windowSeconds != null) {
            plan = plan.withMeasure(Duration.ofSeconds(windowSeconds));
        }
        ChildOptions children = new ChildOptions(List.of("-Xmx" + childHeap), childSets);
        CountDownLatch done = new CountDownLatch(1);
        BenchEnvironment env = null;
        Thread hook = null;
        try {
            err.println("bench: starting an embedded Kafka broker and schema registry on 127.0.0.1 ...");
            err.flush();
            env = BenchEnvironment.start(keepTemp);
            if (context.processOwner()) {
                hook = shutdownHook(env, done);
            }
            header(out, plan);
            List<List<BenchResult>> runs = new ArrayList<>();
            for (int run = 1; run <= repeat; run++) {
                out.printf("# run %d of %d%n", run, repeat);
                out.flush();
                List<BenchResult> results = new ArrayList<>();
                for (Workload w : selected) {
                    BenchResult r = runOne(env, plan, w, run, children, err);
                    results.add(r);
                    out.println(r.line());
                    out.flush();
                }
                runs.add(results);
            }
            if (repeat > 1) {
                out.printf("# median of %d runs%n", repeat);
                BenchResult.medians(runs).forEach(r -> out.println(r.line()));
            }
            if (keepTemp) {
                out.println("# temporary directory kept: " + env.dir());
            }
            out.flush();
            return 0;
        } catch (BenchException e) {
            out.flush();
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException | RuntimeException e) {
            out.flush();
            err.println("error: the benchmark failed: " + e);
            e.printStackTrace(err);
            return 1;
        } finally {
            if (env != null) {
                env.close();
            }
            done.countDown();
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is already exiting (Ctrl-C): the hook is running and waits for done
                }
            }
            err.flush();
        }
    }

    private BenchResult runOne(
            BenchEnvironment env, BenchPlan plan, Workload w, int run, ChildOptions children, PrintWriter log)
            throws IOException {
        String prefix = "b" + run + w.name().replace("-", "") + "x"
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36, 36 * 36 * 36), 36);
        log.printf("bench: run %d, workload %s (%s)%n", run, w.name(), w.description());
        log.flush();
        ChildRun.Setup setup = new ChildRun.Setup(env, plan, w, prefix, children, log, context::stopRequested);
        return switch (w.kind()) {
            case BRIDGE, BLOCKING -> new BridgeRun(setup).run();
            case NETTY -> new NettyRun(env, plan, w, context::stopRequested).run();
            case IDLE -> new IdleRun(setup).run();
            case HEAP -> new HeapRun(setup).run();
        };
    }

    private List<Workload> select() {
        Map<String, Workload> known = Workload.byName();
        if (workloads.isEmpty()) {
            return List.copyOf(known.values());
        }
        List<Workload> out = new ArrayList<>();
        for (String name : workloads) {
            Workload w = known.get(name.trim().toLowerCase(Locale.ROOT));
            if (w == null) {
                throw new IllegalArgumentException(
                        "unknown workload '" + name + "'; known: " + String.join(", ", known.keySet()));
            }
            out.add(w);
        }
        return out;
    }

    private void header(PrintWriter out, BenchPlan plan) {
        out.printf(
                "# chat-bridge bench %s, %s, Java %s, %d cores%s%n",
                Instant.now().truncatedTo(ChronoUnit.SECONDS),
                quick ? "quick" : "full",
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                childSets.isEmpty() ? "" : ", child settings " + childSets);
        out.printf(
                "# warm-up %d s (raw client %d s), window %d s (llm window x%.1f), idle %d s, heap %d pending,"
                        + " %d partitions; times in ms, CPU in s per 10k calls%n",
                plan.warmup().toSeconds(),
                plan.rawWarmup().toSeconds(),
                plan.measure().toSeconds(),
                plan.llmFactor(),
                plan.idle().toSeconds(),
                plan.heapRequests(),
                plan.partitions());
        out.flush();
    }

    /** On Ctrl-C/SIGTERM: stop the workload, kill the children at once, wait (bounded) for cleanup. */
    private Thread shutdownHook(BenchEnvironment env, CountDownLatch done) {
        Thread hook = new Thread(
                () -> {
                    context.requestStop();
                    env.killChildren();
                    try {
                        done.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    context.out().flush();
                    context.err().flush();
                },
                "chat-bridge-bench-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }
}
