package dev.chatbridge.devtools.bench;

import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.SimulatorCounters;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The ceiling at each L: Reactor Netty's HTTP client alone, a pool of L connections and L loops that each call, read
 * the whole answer and call again, against the same simulator settings as the bridge workload it shadows. It runs in
 * the benchmark's JVM (beside the simulator and the idle broker); no Kafka is involved, so the only limits are the
 * client, the simulator and the CPU.
 *
 * <p>Threading: the loops run on Reactor Netty's event loops; the benchmark's thread measures.
 */
final class NettyRun {

    private final BenchEnvironment env;
    private final BenchPlan plan;
    private final Workload workload;
    private final BooleanSupplier stop;

    NettyRun(BenchEnvironment env, BenchPlan plan, Workload workload, BooleanSupplier stop) {
        this.env = env;
        this.plan = plan;
        this.workload = workload;
        this.stop = stop;
    }

    BenchResult run() {
        int limit = workload.limit();
        try (ApiSimulator sim = env.simulator(workload, 0)) {
            ConnectionProvider pool = ConnectionProvider.builder("bench-netty")
                    .maxConnections(limit)
                    .pendingAcquireMaxCount(-1)
                    .pendingAcquireTimeout(Duration.ofSeconds(120))
                    .build();
            HttpClient client = HttpClient.create(pool)
                    .baseUrl(sim.baseUrl())
                    .responseTimeout(Duration.ofSeconds(300))
                    .headers(h -> h.set("Authorization", "Bearer " + BenchEnvironment.API_KEY)
                            .set("Content-Type", "application/json")
                            .set("Accept", "text/event-stream"));
            AtomicBoolean running = new AtomicBoolean(true);
            LongAdder errors = new LongAdder();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Disposable loops = Flux.range(0, limit)
                    .flatMap(i -> Mono.defer(() -> call(client, i, errors)).repeat(running::get), limit)
                    .subscribe(status -> {}, failure::set);
            try {
                Waits.until(
                        () -> sim.counters().totalCalls() > 0,
                        Duration.ofSeconds(30),
                        null,
                        stop,
                        "the first call of the raw client");
                double ramp = Ramp.watch(sim::counters, limit, plan.warmup(workload), null, stop);
                SimulatorCounters c0 = sim.counters();
                Duration cpu0 = Cpu.self();
                Waits.sleep(plan.measure(workload), null, stop);
                SimulatorCounters c1 = sim.counters();
                Duration cpu1 = Cpu.self();
                if (failure.get() != null) {
                    throw new BenchException("the raw client failed: " + failure.get(), failure.get());
                }
                long calls = c1.finishedCalls() - c0.finishedCalls();
                BenchResult r = new BenchResult(workload.name());
                r.put("L", limit, 0);
                r.put("calls_s", Stats.callsPerSecond(c0, c1), 1);
                r.put("eff", Stats.efficiency(c0, c1, limit), 3);
                r.put("little_s", Stats.littleBound(c0, c1, limit), 1);
                r.put("call_ms", c1.meanCallNanosSince(c0) / 1e6, 1);
                r.put(
                        "env_cpu_s_10k",
                        calls == 0 ? Double.NaN : (cpu1.minus(cpu0).toNanos() / 1e9) / calls * 10_000,
                        2);
                r.put("calls", calls, 0);
                r.put("window_s", (c1.nanoTime() - c0.nanoTime()) / 1e9, 1);
                r.put("ramp_s", ramp, 1);
                if (errors.sum() > 0) {
                    r.put("errors", errors.sum(), 0);
                }
                return r;
            } finally {
                running.set(false);
                loops.dispose();
                pool.disposeLater().block(Duration.ofSeconds(10));
            }
        }
    }

    private static Mono<Integer> call(HttpClient client, int loop, LongAdder errors) {
        String body = "{\"messages\":[{\"role\":\"User\",\"text\":\"Question of loop " + loop
                + "\"}],\"threadId\":\"netty-" + loop + "\"}";
        return client.post()
                .uri("/chats/v2")
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((res, content) -> content.asByteArray()
                        .defaultIfEmpty(new byte[0])
                        .map(bytes -> res.status().code()))
                .onErrorResume(e -> {
                    errors.increment();
                    return Mono.just(-1);
                });
    }
}
