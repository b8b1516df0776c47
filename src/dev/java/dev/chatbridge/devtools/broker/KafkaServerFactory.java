package dev.chatbridge.devtools.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.server.Server;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Formats KRaft storage and builds a {@code KafkaRaftServer}. Stateless; callers serialize use. */
final class KafkaServerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaServerFactory.class);

    private KafkaServerFactory() {}

    /**
     * Formats {@code logDirectory} for a new single-node cluster with a random cluster id, unless it is already
     * formatted (then its data and cluster id are kept).
     */
    static void format(Properties serverProperties, Path logDirectory) {
        Path propertiesFile = null;
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try {
            propertiesFile = Files.createTempFile("chatbridge-kafka-format-", ".properties");
            try (OutputStream out = Files.newOutputStream(propertiesFile)) {
                serverProperties.store(out, "chat-bridge embedded broker");
            }
            int exitCode;
            try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
                exitCode = StorageTool.execute(
                        new String[] {
                            "format",
                            "--cluster-id",
                            Uuid.randomUuid().toString(),
                            "--config",
                            propertiesFile.toString(),
                            "--ignore-formatted"
                        },
                        out);
            }
            String said = output.toString(StandardCharsets.UTF_8).trim();
            if (exitCode != 0) {
                throw new IllegalStateException(
                        "cannot format Kafka storage in " + logDirectory + " (exit code " + exitCode + "): " + said);
            }
            LOG.debug("Kafka storage format: {}", said);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Kafka configuration to format " + logDirectory, e);
        } finally {
            deleteAfterFormat(propertiesFile);
        }
    }

    /** A {@code KafkaRaftServer} for the properties, not started; uses {@link Time#SYSTEM}. */
    static Server create(Properties serverProperties) {
        return new KafkaRaftServer(KafkaConfig.fromProps(serverProperties, false), Time.SYSTEM);
    }

    private static void deleteAfterFormat(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the temporary Kafka configuration " + file, e);
        }
    }
}
