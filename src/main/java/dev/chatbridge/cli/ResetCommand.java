package dev.chatbridge.cli;

import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.ServiceSettings;
import dev.chatbridge.engine.EngineConfig;
import dev.chatbridge.engine.PendingChangelog;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.tools.StreamsResetter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code chat-bridge reset}: Kafka's own Streams reset tool for the configured application, with a guard for accepted
 * requests that have no outcome yet.
 *
 * <p>The tool resets the consumer group's input offsets and deletes the application's internal topics, among them the
 * changelog of the pending table: every request that table still holds would never be answered. So, before calling the
 * tool, this command reads that changelog to its end and refuses while it holds any request, unless {@code --force}.
 * The tool itself refuses while the consumer group has members (instances still running); its message is passed
 * through.
 */
@Command(
        name = "reset",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Resets chat-bridge with Kafka's Streams reset tool, so that the next start reads the input again:",
            "the input offsets of the consumer group application.id (default chat-bridge) go to --to-earliest (default),",
            "--to-latest, --to-datetime or --by-duration; the internal topics (the pending table's changelog and, with",
            "chat.input.keying=REKEY, the repartition topic) are deleted. Output topics are not touched.",
            "Stop every instance first (kubernetes: scale to 0). At their next start, instances delete local state that",
            "predates the reset (it would skip the input read again) and restore the pending table from its changelog.",
            "Refuses while instances are running, and while the pending table holds accepted requests that have no",
            "outcome yet (they would be lost), unless --force.",
            "Exit codes: 0 reset (or dry run) done, 1 refused because instances are running, or Kafka or the tool failed,",
            "2 bad configuration or options, 3 refused because requests are pending."
        })
final class ResetCommand implements Callable<Integer> {

    /** Exit code when accepted requests are pending and --force was not given. */
    static final int PENDING_REFUSED = 3;

    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CHANGELOG_READ_TIMEOUT = Duration.ofSeconds(60);

    private final CliContext context;
    private final KafkaResetTool.Tool tool;

    @Mixin
    ConfigOptions config;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    PositionOptions position;

    @Option(
            names = "--dry-run",
            description = "Show what the tool would do; change nothing (the pending check still applies).")
    boolean dryRun;

    @Option(
            names = "--force",
            description = "Reset even though the pending table holds accepted requests: they get no "
                    + "outcome. Does not remove running instances from the group.")
    boolean force;

    /** Where the input offsets go: one of these at most. */
    static final class PositionOptions {
        @Option(names = "--to-earliest", description = "Input offsets to the oldest record (default).")
        boolean earliest;

        @Option(names = "--to-latest", description = "Input offsets to the end: what is in the topic now is skipped.")
        boolean latest;

        @Option(
                names = "--to-datetime",
                paramLabel = "DATETIME",
                description = "Input offsets to the first record at or after DATETIME, e.g. 2025-01-31T08:00:00.000 "
                        + "(local time) or 2025-01-31T08:00:00.000Z.")
        String datetime;

        @Option(
                names = "--by-duration",
                paramLabel = "DURATION",
                description = "Input offsets to the first record of the last DURATION (ISO-8601, e.g. PT2H or P1D).")
        String duration;
    }

    ResetCommand(CliContext context) {
        this(context, KafkaResetTool.KAFKA);
    }

    ResetCommand(CliContext context, KafkaResetTool.Tool tool) {
        this.context = context;
        this.tool = tool;
    }

    /** What the configuration says is to be reset. */
    record Subject(
            String bootstrapServers, String applicationId, String inputTopic, Map<String, String> clientSettings) {
        /** bootstrap.servers plus the client settings, for this command's own admin client and consumer. */
        Map<String, Object> clientProperties() {
            Map<String, Object> props = new HashMap<>(clientSettings);
            props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            return props;
        }
    }

    /** The internal topics to delete, and names the tool would take for internal topics that are not chat-bridge's. */
    record InternalTopics(List<String> ours, List<String> foreign) {}

    @Override
    public Integer call() {
        Subject subject = subject();
        if (subject == null) {
            return RunCommand.CONFIG_ERROR;
        }
        StreamsResetterArgs.Target target;
        try {
            target = target();
        } catch (IllegalArgumentException e) {
            context.err().println("error: " + e.getMessage());
            return RunCommand.CONFIG_ERROR;
        }
        String changelog = PendingChangelog.topic(subject.applicationId());
        InternalTopics internal;
        Map<String, Object> adminProps = subject.clientProperties();
        adminProps.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "chat-bridge-reset");
        try (Admin admin = Admin.create(adminProps)) {
            int members = activeMembers(admin, subject.applicationId());
            if (members > 0) {
                return refuseRunning(subject, target, members);
            }
            Set<String> topics = admin.listTopics(new ListTopicsOptions().timeoutMs(timeoutMs()))
                    .names()
                    .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            PendingRequests.Count pending = topics.contains(changelog)
                    ? PendingRequests.count(subject.clientProperties(), changelog, CHANGELOG_READ_TIMEOUT)
                    : null;
            if (pending != null && pending.total() > 0) {
                if (!force) {
                    return refusePending(subject, pending);
                }
                context.err()
                        .println("warning: --force: resetting although the pending table holds " + pending.total()
                                + " accepted requests without an outcome (" + pending.partitions()
                                + "); they will get none");
            } else {
                context.out()
                        .println("Pending table of " + subject.applicationId() + ": no accepted request waits for an "
                                + "outcome" + (pending == null ? " (" + changelog + " does not exist)." : "."));
            }
            members = activeMembers(admin, subject.applicationId());
            if (members > 0) {
                return refuseRunning(subject, target, members);
            }
            internal = internalTopics(subject.applicationId(), subject.inputTopic(), topics);
        } catch (ExecutionException e) {
            return kafkaFailure(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException | KafkaException e) {
            return kafkaFailure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return kafkaFailure(e);
        }
        if (!internal.foreign().isEmpty()) {
            if (internal.ours().isEmpty()) {
                context.err()
                        .println("error: Kafka's reset tool would delete " + internal.foreign() + " as internal "
                                + "topics of " + subject.applicationId() + " (their names start with '"
                                + subject.applicationId()
                                + "-'), but chat-bridge has no such topics: they probably belong to another application whose "
                                + "id starts with '" + subject.applicationId()
                                + "-'. chat-bridge has no internal topic to delete "
                                + "here and the tool cannot be told to delete none. Reset the input offsets alone with Kafka's "
                                + "kafka-consumer-groups.sh --group " + subject.applicationId() + " --topic "
                                + subject.inputTopic() + " --reset-offsets --to-earliest --execute");
                return RunCommand.CONFIG_ERROR;
            }
            context.out()
                    .println("Leaving " + internal.foreign() + " alone: named like internal topics of "
                            + subject.applicationId() + " but not chat-bridge's (another application's?).");
        }
        int code = runTool(subject, target, dryRun, internal.foreign().isEmpty() ? List.of() : internal.ours());
        if (code == 0 && !dryRun) {
            context.out()
                    .println("Reset of " + subject.applicationId() + " done. The tool does not touch local state:"
                            + " at its next start each instance sees that the pending table's changelog topic is new, deletes a"
                            + " kept state directory (state.dir) and restores the table from the changelog.");
        }
        context.out().flush();
        return code;
    }

    /** The settings, or null after printing why they cannot serve. */
    private Subject subject() {
        ChatBridgeConfig parsed;
        EngineConfig engine;
        try {
            parsed = config.load(context, Map.of()).parse();
            engine = parsed.engine();
        } catch (InvalidConfigurationException e) {
            e.problems().forEach(p -> context.err().println("error: " + p));
            return null;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            context.err().println("error: " + e.getMessage());
            return null;
        }
        List<String> problems = new ArrayList<>();
        ServiceSettings.requireBootstrapServers(parsed, problems);
        if (!problems.isEmpty()) {
            problems.forEach(p -> context.err().println("error: " + p));
            return null;
        }
        Map<String, String> kafka = parsed.kafkaSettings();
        String applicationId = kafka.getOrDefault(
                        StreamsConfig.APPLICATION_ID_CONFIG, ServiceSettings.DEFAULT_APPLICATION_ID)
                .strip();
        return new Subject(
                kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG).strip(),
                applicationId,
                engine.requestsTopic(),
                StreamsResetterArgs.clientSettings(kafka));
    }

    /** The position options as the tool's target; checks the values the tool would fail on later. */
    StreamsResetterArgs.Target target() {
        if (position == null || position.earliest) {
            return StreamsResetterArgs.Target.EARLIEST;
        }
        if (position.latest) {
            return new StreamsResetterArgs.Target(StreamsResetterArgs.Position.LATEST, null);
        }
        if (position.datetime != null) {
            try {
                Utils.getDateTime(position.datetime);
            } catch (ParseException | IllegalArgumentException e) {
                throw new IllegalArgumentException("--to-datetime " + position.datetime + " is not a date and time "
                        + "the tool reads: write YYYY-MM-DDTHH:mm:SS.sss, optionally with a zone (Z or +01:00)");
            }
            return new StreamsResetterArgs.Target(StreamsResetterArgs.Position.DATETIME, position.datetime);
        }
        try {
            if (Duration.parse(position.duration).isNegative()) {
                throw new IllegalArgumentException(
                        "--by-duration " + position.duration + " is negative: give how far " + "back to go, e.g. PT2H");
            }
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--by-duration " + position.duration + " is not an ISO-8601 duration: "
                    + "write PnDTnHnMnS, e.g. PT2H or P1D");
        }
        return new StreamsResetterArgs.Target(StreamsResetterArgs.Position.DURATION, position.duration);
    }

    /** The tool's arguments for this command's options (the command-config file added by the caller). */
    List<String> toolArguments(
            Subject subject,
            StreamsResetterArgs.Target target,
            boolean asDryRun,
            List<String> internalTopics,
            Path commandConfig) {
        return StreamsResetterArgs.of(
                subject.bootstrapServers(),
                subject.applicationId(),
                subject.inputTopic(),
                target,
                asDryRun,
                internalTopics,
                commandConfig);
    }

    /**
     * The internal topics: those the tool would infer ({@code <application.id>-} and an internal suffix, not the input
     * topic) split into chat-bridge's own and others.
     */
    static InternalTopics internalTopics(String applicationId, String inputTopic, Set<String> allTopics) {
        Set<String> known = PendingChangelog.internalTopics(applicationId);
        List<String> ours = new ArrayList<>();
        List<String> foreign = new ArrayList<>();
        for (String topic : new TreeSet<>(allTopics)) {
            if (!topic.equals(inputTopic)
                    && topic.startsWith(applicationId + "-")
                    && StreamsResetter.matchesInternalTopicFormat(topic)) {
                (known.contains(topic) ? ours : foreign).add(topic);
            }
        }
        return new InternalTopics(List.copyOf(ours), List.copyOf(foreign));
    }

    private int runTool(Subject subject, StreamsResetterArgs.Target target, boolean asDryRun, List<String> internal) {
        PrivatePropertiesFile file = null;
        try {
            if (!subject.clientSettings().isEmpty()) {
                file = PrivatePropertiesFile.write(subject.clientSettings());
            }
            List<String> args = toolArguments(subject, target, asDryRun, internal, file == null ? null : file.path());
            context.out()
                    .println("Running Kafka's Streams reset tool for " + subject.applicationId()
                            + (asDryRun ? " (dry run)" : "") + ":");
            context.out().flush();
            return KafkaResetTool.run(tool, args, context.out()::println, context.err()::println);
        } catch (UncheckedIOException e) {
            context.err().println("error: " + e.getMessage());
            return 1;
        } finally {
            if (file != null) {
                file.close();
            }
            context.out().flush();
            context.err().flush();
        }
    }

    private int refuseRunning(Subject subject, StreamsResetterArgs.Target target, int members) {
        // The tool, in a dry run so that nothing changes even if the instances stop meanwhile, says why it refuses.
        runTool(subject, target, true, List.of());
        context.err()
                .println("error: the consumer group " + subject.applicationId() + " had " + members + " active "
                        + "member(s): chat-bridge instances are running, so nothing was reset. Stop every instance (kubernetes: "
                        + "kubectl scale deployment/<name> --replicas=0) and run reset again once they have left the group "
                        + "(a stopped instance leaves at once; a crashed one after session.timeout.ms). chat-bridge's --force "
                        + "does not remove members; it only overrides the pending-request check.");
        return 1;
    }

    private int refusePending(Subject subject, PendingRequests.Count pending) {
        context.err()
                .println("error: the pending table of " + subject.applicationId() + " holds " + pending.total()
                        + " accepted request" + (pending.total() == 1 ? "" : "s") + " without an outcome yet ("
                        + pending.partitions() + "; read from " + pending.topic()
                        + "). A reset deletes that changelog, so "
                        + (pending.total() == 1 ? "it" : "they") + " would never be answered nor dead-lettered.");
        context.err()
                .println("error: nothing was reset. Fix: start chat-bridge again and let it finish them (metric "
                        + "chat_bridge_pending_requests back at 0), stop it, then reset; or pass --force to reset anyway and "
                        + "lose them.");
        return PENDING_REFUSED;
    }

    private int kafkaFailure(Throwable e) {
        context.err()
                .println("error: cannot check the application in Kafka before the reset (nothing was reset): "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        return 1;
    }

    private static int activeMembers(Admin admin, String groupId)
            throws ExecutionException, InterruptedException, TimeoutException {
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(
                            List.of(groupId), new DescribeConsumerGroupsOptions().timeoutMs(timeoutMs()))
                    .describedGroups()
                    .get(groupId)
                    .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return group.members().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return 0;
            }
            throw e;
        }
    }

    private static int timeoutMs() {
        return (int) KAFKA_TIMEOUT.toMillis();
    }
}
