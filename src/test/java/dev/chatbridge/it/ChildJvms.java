package dev.chatbridge.it;

import dev.chatbridge.Main;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Separate JVMs that integration tests start (the application as its own process), on the test class path, with output
 * under {@code target/it-processes}. {@link #killAll()} kills, by PID, every process started here that is still alive.
 */
final class ChildJvms {

    static final Path OUT = Path.of("target", "it-processes");

    private final List<Process> started = new ArrayList<>();

    /** Writes settings to {@code target/it-processes/<name>.properties} and returns the file. */
    static Path writeProperties(Properties settings, String name) throws IOException {
        Files.createDirectories(OUT);
        Path file = OUT.resolve(name + ".properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            settings.store(w, name);
        }
        return file;
    }

    /**
     * Starts {@code mainClass} with the arguments in a new JVM; its output goes to
     * {@code target/it-processes/<logName>.out} and {@code .err}. No {@code CHAT_BRIDGE_*} or {@code KAFKA_*} variable
     * is passed on, so the arguments alone configure it.
     */
    Process launch(Class<?> mainClass, List<String> args, String logName) throws IOException {
        return launch(mainClass, List.of(), args, logName);
    }

    /**
     * As {@link #launch(Class, List, String)}, with extra JVM options (such as {@code -Dkey=value}) before the main
     * class.
     */
    Process launch(Class<?> mainClass, List<String> jvmOptions, List<String> args, String logName) throws IOException {
        return launchWithClassPath(
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                mainClass,
                jvmOptions,
                args,
                logName);
    }

    /** As {@link #launch(Class, List, String)}, on the given class path instead of the test class path. */
    Process launchWithClassPath(String classpath, Class<?> mainClass, List<String> args, String logName)
            throws IOException {
        return launchWithClassPath(classpath, mainClass, List.of(), args, logName);
    }

    private Process launchWithClassPath(
            String classpath, Class<?> mainClass, List<String> jvmOptions, List<String> args, String logName)
            throws IOException {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.add(mainClass.getName());
        command.addAll(args);
        Files.createDirectories(OUT);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(OUT.resolve(logName + ".out").toFile())
                .redirectError(OUT.resolve(logName + ".err").toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("CHAT_BRIDGE_") || k.startsWith("KAFKA_"));
        builder.environment().put("CLASSPATH", classpath);
        Process process = builder.start();
        started.add(process);
        return process;
    }

    /** Starts {@code chat-bridge run --config <config>} in a new JVM; logs under {@code <config name>-<name>}. */
    Process run(Path config, String name) throws IOException {
        return run(config, name, List.of());
    }

    /** As {@link #run(Path, String)}, with extra JVM options; its output is {@link #logOf(Path, String)}. */
    Process run(Path config, String name, List<String> jvmOptions) throws IOException {
        return launch(
                Main.class,
                jvmOptions,
                List.of("run", "--config", config.toAbsolutePath().toString()),
                logName(config, name));
    }

    /** The file that receives the standard output of {@code run(config, name)}. */
    static Path logOf(Path config, String name) {
        return OUT.resolve(logName(config, name) + ".out");
    }

    private static String logName(Path config, String name) {
        return config.getFileName().toString().replace(".properties", "") + "-" + name;
    }

    /** Kills every process started here that is still alive (SIGKILL), waiting briefly for each. */
    void killAll() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
