package dev.chatbridge.devtools.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One child JVM of the benchmark (the bridge under test or the blocking baseline), started on this JVM's class path
 * through {@link ChildMain}; its output goes to files in the run's directory. Its CPU time comes from
 * {@link ProcessHandle}, its live heap from {@code jcmd <pid> GC.class_histogram} (which runs a full GC first).
 *
 * <p>Threading: owned by the benchmark's thread; {@link #kill()} may also run in a shutdown hook.
 */
final class ChildJvm implements AutoCloseable {

    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");
    private static final Pattern VM_RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");

    private final Process process;
    private final Path out;
    private final Path err;
    private volatile int opsPort = -1;

    private ChildJvm(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * Starts {@code ChildMain <this pid> <kind> args} with {@code jvmOptions}; {@code CHAT_BRIDGE_*} and
     * {@code KAFKA_*} variables of this process are not passed on, {@code env} is added.
     */
    static ChildJvm start(
            String kind, List<String> jvmOptions, List<String> args, Map<String, String> env, Path dir, String name)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add(ChildMain.class.getName());
        command.add(Long.toString(ProcessHandle.current().pid()));
        command.add(kind);
        command.addAll(args);
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("CHAT_BRIDGE_") || k.startsWith("KAFKA_"));
        builder.environment().put("CLASSPATH", classPath());
        builder.environment().putAll(env);
        return new ChildJvm(builder.start(), out, err);
    }

    /**
     * The class path children get: {@code chatbridge.bench.classpath} if set, else the test class path under Maven's
     * surefire/failsafe, else this JVM's class path (the jar).
     */
    static String classPath() {
        String explicit = System.getProperty("chatbridge.bench.classpath");
        if (explicit != null && !explicit.isBlank()) {
            return explicit;
        }
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** Remembers the port of the child's ops server (metrics, health). */
    ChildJvm opsPort(int port) {
        this.opsPort = port;
        return this;
    }

    /** {@code http://127.0.0.1:<ops port><path>}. */
    String opsUrl(String path) {
        if (opsPort < 0) {
            throw new IllegalStateException("this child has no ops server");
        }
        return "http://127.0.0.1:" + opsPort + path;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Throws, with the end of its error output, if the child has exited. */
    void requireAlive(String what) {
        if (!process.isAlive()) {
            throw new BenchException(what + ": the child JVM exited with code " + process.exitValue()
                    + "; end of its output (" + err + "):\n" + tail(err, 40) + tail(out, 10));
        }
    }

    /** CPU time (user + system) the child has used so far. */
    Duration cpu() {
        return process.toHandle()
                .info()
                .totalCpuDuration()
                .orElseThrow(() -> new BenchException("the CPU time of the child JVM cannot be read here"));
    }

    /** Live heap bytes after a full GC, from {@code jcmd <pid> GC.class_histogram}. */
    long liveHeapBytes(Duration timeout) {
        String text = jcmd(timeout, "GC.class_histogram");
        Matcher m = HISTOGRAM_TOTAL.matcher(text);
        long bytes = -1;
        while (m.find()) {
            bytes = Long.parseLong(m.group(2));
        }
        if (bytes < 0) {
            throw new BenchException("jcmd GC.class_histogram printed no Total line: " + abbreviate(text));
        }
        return bytes;
    }

    /** Resident set size from {@code /proc/<pid>/status}, or -1 where that does not exist. */
    long rssBytes() {
        try {
            Matcher m = VM_RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid()), "status")));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private String jcmd(Duration timeout, String... command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> cmd = new ArrayList<>();
        cmd.add(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd");
        cmd.add(Long.toString(pid()));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] bytes;
            try (var in = p.getInputStream()) {
                bytes = readWithin(in, p, timeout);
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new BenchException("jcmd " + String.join(" ", command) + " took longer than " + timeout);
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BenchException(
                    "jcmd could not be run (a JDK, not a JRE, is needed for the heap figure): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while waiting for jcmd");
        }
    }

    private static byte[] readWithin(InputStream in, Process p, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        while (true) {
            if (in.available() > 0) {
                int n = in.read(chunk);
                if (n < 0) {
                    break;
                }
                buffer.write(chunk, 0, n);
            } else if (!p.isAlive()) {
                int n = in.read(chunk);
                if (n < 0) {
                    break;
                }
                buffer.write(chunk, 0, n);
            } else if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new BenchException("jcmd took longer than " + timeout);
            } else {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                    throw new BenchException("interrupted while reading jcmd");
                }
            }
        }
        return buffer.toByteArray();
    }

    /** Kills the child (SIGKILL) and waits up to 10 s for it to go. Idempotent. */
    void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        kill();
    }

    Optional<Integer> exitCode() {
        return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException | RuntimeException e) {
            return "(" + file + " unreadable: " + e.getMessage() + ")\n";
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }
}
