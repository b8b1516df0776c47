package dev.chatbridge.devtools.bench;

import java.time.Duration;

/** CPU time of this JVM (the broker, registry, simulator and load generator of the benchmark). */
final class Cpu {

    private Cpu() {}

    static Duration self() {
        return ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO);
    }
}
