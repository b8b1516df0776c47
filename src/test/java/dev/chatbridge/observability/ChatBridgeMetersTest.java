package dev.chatbridge.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.api.CallOutcome;
import dev.chatbridge.api.CallOutcome.RetryCause;
import dev.chatbridge.api.ChatAnswer;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.events.DeadLetterReason;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChatBridgeMetersTest {

    private static final Path DOCS = Path.of("docs", "metrics.md");
    private static final String WRITE_PROPERTY = "chatbridge.docs.write";
    private static final Set<String> ALLOWED_TAG_KEYS = Set.of("outcome", "reason", "result", "step", "verdict");

    @Test
    void shouldGiveEveryMeterAUniqueDottedLowercaseName() {
        List<String> names = Arrays.stream(ChatBridgeMeters.values())
                .map(ChatBridgeMeters::meterName)
                .toList();

        assertThat(names).doesNotHaveDuplicates();
        assertThat(names).allSatisfy(name -> assertThat(name).matches("chat\\.bridge(\\.[a-z][a-z0-9]*)+"));
        assertThat(Arrays.stream(ChatBridgeMeters.values()).map(ChatBridgeMeters::prometheusName))
                .as("Prometheus sample names")
                .doesNotHaveDuplicates();
    }

    @Test
    void shouldDescribeEveryMeterAndUseOnlyLowCardinalityTags() {
        for (ChatBridgeMeters meter : ChatBridgeMeters.values()) {
            assertThat(meter.description())
                    .as("description of %s", meter)
                    .isNotBlank()
                    .doesNotContain("|");
            assertThat(meter.tags()).as("tags of %s", meter).allSatisfy(tag -> {
                assertThat(tag.key()).isIn(ALLOWED_TAG_KEYS);
                assertThat(tag.allowedValues()).hasSizeLessThanOrEqualTo(32).doesNotHaveDuplicates();
            });
            if (meter.kind() != ChatBridgeMeters.Kind.GAUGE) {
                assertThat(meter.baseUnit()).as("base unit of %s", meter).isNotBlank();
            }
        }
    }

    @Test
    void shouldNameOnlyRealSettingsInDescriptions() {
        Set<String> meters = Arrays.stream(ChatBridgeMeters.values())
                .map(ChatBridgeMeters::meterName)
                .collect(Collectors.toSet());
        Pattern dotted = Pattern.compile("\\bchat(\\.[a-z][a-z0-9]*)+");
        for (ChatBridgeMeters meter : ChatBridgeMeters.values()) {
            Matcher m = dotted.matcher(meter.description());
            while (m.find()) {
                String name = m.group().replaceAll("\\.$", "");
                if (!meters.contains(name)) {
                    assertThat(ChatBridgeConfig.DEFINITION.names())
                            .as("setting %s named in the description of %s", name, meter)
                            .contains(name);
                }
            }
        }
    }

    @Test
    void shouldRegisterOnlyCataloguedMetersWithAllowedTagValuesWhateverIsReported() {
        // Given a registry with the service's meters
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ChatBridgeMetrics metrics = new ChatBridgeMetrics(registry);
        // When every kind of event is reported
        metrics.callStarted(Duration.ofMillis(3));
        metrics.callStarted(null);
        metrics.firstByte(Duration.ofMillis(2));
        metrics.callEnded(
                new CallOutcome.Success(new ChatAnswer("hi", List.of(), List.of(), List.of(), List.of(), null)),
                Duration.ofMillis(5));
        metrics.callEnded(
                new CallOutcome.Refused(401, CallOutcome.Suspect.KEY, null, null, "key"), Duration.ofMillis(5));
        for (KeyCheck.Verdict verdict : KeyCheck.Verdict.values()) {
            metrics.keyChecked(verdict);
        }
        metrics.auditDropped();
        metrics.retryScheduled(new CallOutcome.RetriableFailure(503, null, null, "down"));
        metrics.retryScheduled(new CallOutcome.RetriableFailure(null, null, null, "something unheard of"));
        metrics.responded();
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            metrics.deadLettered(reason);
        }
        // Then every meter is in the catalogue, with catalogued tag keys and allowed values only
        Map<String, ChatBridgeMeters> byName = Arrays.stream(ChatBridgeMeters.values())
                .collect(Collectors.toMap(ChatBridgeMeters::meterName, Function.identity()));
        for (Meter meter : registry.getMeters()) {
            ChatBridgeMeters entry = byName.get(meter.getId().getName());
            assertThat(entry).as("catalogue entry of meter %s", meter.getId()).isNotNull();
            List<Tag> tags = meter.getId().getTags();
            assertThat(tags.stream().map(Tag::getKey))
                    .containsExactlyInAnyOrderElementsOf(
                            entry.tags().stream().map(MeterTag::key).toList());
            for (MeterTag tag : entry.tags()) {
                assertThat(meter.getId().getTag(tag.key()))
                        .as("%s of %s", tag.key(), meter.getId())
                        .isIn(tag.allowedValues());
            }
        }
        assertThat(registry.get("chat.bridge.api.calls").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("chat.bridge.request.queue.wait").timer().count())
                .isEqualTo(1);
        assertThat(registry.get("chat.bridge.retries")
                        .tag("reason", "5xx")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("chat.bridge.retries")
                        .tag("reason", "other")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("chat.bridge.call.duration")
                        .tag("result", "refused")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("chat.bridge.requests")
                        .tag("outcome", "response")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("chat.bridge.requests")
                        .tag("outcome", "dead_letter")
                        .counters())
                .hasSize(DeadLetterReason.values().length)
                .allSatisfy(c -> assertThat(c.count()).isEqualTo(1.0));
    }

    @Test
    void shouldClassifyRetriesIntoTheBoundedReasonSet() {
        assertThat(reason(RetryCause.STATUS, 429)).isEqualTo("429");
        assertThat(reason(RetryCause.STATUS, 408)).isEqualTo("408");
        assertThat(reason(RetryCause.STATUS, 425)).isEqualTo("425");
        assertThat(reason(RetryCause.STATUS, 502)).isEqualTo("5xx");
        assertThat(reason(RetryCause.BROKEN_STREAM, 200)).isEqualTo("broken_stream");
        assertThat(reason(RetryCause.TIMEOUT, null)).isEqualTo("timeout");
        assertThat(reason(RetryCause.CONNECT, null)).isEqualTo("connect");
        assertThat(reason(RetryCause.RESET, null)).isEqualTo("reset");
        assertThat(reason(RetryCause.OTHER, null)).isEqualTo("other");
    }

    @Test
    void shouldKeepTheCommittedMetricsDocumentCurrent() throws IOException {
        String expected = ChatBridgeMeters.markdown();
        if (Boolean.getBoolean(WRITE_PROPERTY)) {
            Files.createDirectories(DOCS.getParent());
            Files.writeString(DOCS, expected, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(DOCS)).as("docs/metrics.md exists").isTrue();
        assertThat(Files.readString(DOCS, StandardCharsets.UTF_8))
                .as("docs/metrics.md is stale: regenerate it from the catalogue with "
                        + "./mvnw -o test -Dtest=ChatBridgeMetersTest -D" + WRITE_PROPERTY + "=true and commit it")
                .isEqualTo(expected);
    }

    private static String reason(RetryCause cause, Integer status) {
        return RetryReason.of(new CallOutcome.RetriableFailure(cause, status, null, null, "failed"))
                .tagValue();
    }
}
