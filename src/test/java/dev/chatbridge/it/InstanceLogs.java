package dev.chatbridge.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the {@code run} processes' own logs say about rebalances. The child JVMs get a logback configuration
 * ({@link #jvmOptions()}) that logs as the test configuration does, plus Kafka Streams' client state transitions and
 * the consumer coordinator's group generations at INFO, each line with an absolute time so lines can be counted per
 * time window.
 *
 * <p>Counted: "State transition from RUNNING to REBALANCING" lines of {@code KafkaStreams} (one per instance that was
 * running when a rebalance began), and the distinct generation ids of "Successfully synced group in generation" (one
 * per completed group rebalance, whichever instances took part).
 */
final class InstanceLogs {

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private static final Pattern LINE_TIME =
            Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[^ ]*) ");
    private static final String RUNNING_TO_REBALANCING = "State transition from RUNNING to REBALANCING";
    private static final Pattern SYNCED =
            Pattern.compile("Successfully synced group in generation Generation\\{generationId=(\\d+)");

    private static final String CONFIG = """
            <configuration>
              <statusListener class="ch.qos.logback.core.status.NopStatusListener"/>
              <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder>
                  <pattern>%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg%n</pattern>
                </encoder>
              </appender>
              <logger name="org.apache.kafka" level="WARN"/>
              <logger name="org.apache.kafka.streams.KafkaStreams" level="INFO"/>
              <logger name="org.apache.kafka.clients.consumer.internals.AbstractCoordinator" level="INFO"/>
              <logger name="org.apache.kafka.clients.consumer.internals.ConsumerCoordinator" level="INFO"/>
              <logger name="kafka" level="WARN"/>
              <logger name="state.change.logger" level="WARN"/>
              <logger name="io.netty" level="WARN"/>
              <logger name="reactor.netty" level="WARN"/>
              <root level="INFO">
                <appender-ref ref="STDOUT"/>
              </root>
            </configuration>
            """;

    private InstanceLogs() {}

    /** JVM options that make a child log as described above (writes the configuration file once). */
    static List<String> jvmOptions() throws IOException {
        Files.createDirectories(ChildJvms.OUT);
        Path file = ChildJvms.OUT.resolve("logback-rebalances.xml");
        Files.writeString(file, CONFIG, StandardCharsets.UTF_8);
        return List.of("-Dlogback.configurationFile=" + file.toAbsolutePath());
    }

    /** RUNNING → REBALANCING transitions logged within {@code [fromMs, toMs]} in any of the files. */
    static int runningToRebalancing(Collection<Path> logs, long fromMs, long toMs) {
        int count = 0;
        for (Path log : logs) {
            for (String line : lines(log)) {
                if (line.contains(RUNNING_TO_REBALANCING) && within(line, fromMs, toMs)) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Distinct group generations completed (synced) within {@code [fromMs, toMs]}, over all files. */
    static Set<Integer> generations(Collection<Path> logs, long fromMs, long toMs) {
        Set<Integer> generations = new TreeSet<>();
        for (Path log : logs) {
            for (String line : lines(log)) {
                Matcher m = SYNCED.matcher(line);
                if (m.find() && within(line, fromMs, toMs)) {
                    generations.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        return generations;
    }

    /** Whether a line logged at or after {@code fromMs} contains {@code text}. */
    static boolean loggedSince(Path log, String text, long fromMs) {
        return lines(log).stream().anyMatch(line -> line.contains(text) && within(line, fromMs, Long.MAX_VALUE));
    }

    private static boolean within(String line, long fromMs, long toMs) {
        Matcher m = LINE_TIME.matcher(line);
        if (!m.find()) {
            return false;
        }
        long t = OffsetDateTime.parse(m.group(1), TIME).toInstant().toEpochMilli();
        return t >= fromMs && t <= toMs;
    }

    private static List<String> lines(Path log) {
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            // a line being written when the file is read may be cut: it just does not match
            return List.of(new String(Files.readAllBytes(log), StandardCharsets.UTF_8).split("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
