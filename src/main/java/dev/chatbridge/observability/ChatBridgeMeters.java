package dev.chatbridge.observability;

import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The catalogue of chat-bridge's own meters: every meter the service registers is one of these, with its name, type,
 * base unit, description and tag keys. {@code docs/metrics.md} is rendered from it ({@link #markdown()}); a unit test
 * fails when the committed file is stale.
 *
 * <p>Names are dotted lower case under {@code chat.bridge.}; Prometheus shows them with underscores, {@code _total} for
 * counters and the unit for timers and gauges (see {@link #prometheusName()}). Tags come only from {@link MeterTag},
 * whose value sets are closed. Timers publish a histogram (buckets from 1 ms to 5 min) for quantiles across instances.
 */
public enum ChatBridgeMeters {

    /** Requests that reached a final outcome. */
    REQUESTS(
            "chat.bridge.requests",
            Kind.COUNTER,
            "requests",
            "Requests that reached a final outcome and were forwarded: a response, or a dead letter with its reason "
                    + "(reason is `none` for responses). Requests refused before any call count too.",
            MeterTag.OUTCOME,
            MeterTag.REQUEST_REASON),
    /** Dead letters by reason. */
    DEAD_LETTERS(
            "chat.bridge.dead.letters",
            Kind.COUNTER,
            "letters",
            "Dead letters forwarded, by reason: the dead-letter part of chat.bridge.requests, for alert rules.",
            MeterTag.DEAD_LETTER_REASON),
    /** Calls sent to the API. */
    API_CALLS(
            "chat.bridge.api.calls",
            Kind.COUNTER,
            "calls",
            "Calls of POST /chats/v2 dispatched, first attempts and retries alike. Call amplification is "
                    + "rate(chat.bridge.api.calls) / rate(chat.bridge.requests)."),
    /** Duration of a call by result. */
    CALL_DURATION(
            "chat.bridge.call.duration",
            Kind.TIMER,
            "seconds",
            "Duration of one call, from dispatch to its outcome, by result (success, permanent, retriable, refused: "
                    + "a 3xx, 401, 403 or 404 whose owner a key check decides). Calls cancelled by a rebalance or "
                    + "shutdown are not recorded.",
            MeterTag.RESULT),
    /** Time to the first event of an answer. */
    TIME_TO_FIRST_EVENT(
            "chat.bridge.call.first.event",
            Kind.TIMER,
            "seconds",
            "Time from the start of a call to the first body byte of a 2xx answer: the first event of a streamed answer."),
    /** Time a request waited behind its conversation thread. */
    QUEUE_WAIT(
            "chat.bridge.request.queue.wait",
            Kind.TIMER,
            "seconds",
            "Time from accepting a request to its first call: waiting behind earlier requests of its thread, "
                    + "for a free in-flight permit or for an operator pause. Not recorded for requests re-loaded "
                    + "from the pending table after a restart or rebalance."),
    /** Retries by reason. */
    RETRIES(
            "chat.bridge.retries",
            Kind.COUNTER,
            "retries",
            "Retriable failures that will be retried, by reason: HTTP status (408, 425, 429, 5xx), broken_stream, "
                    + "timeout, connect, reset or other. Failures that exhaust the retry budget are dead letters instead.",
            MeterTag.RETRY_REASON),
    /** Calls in flight now. */
    IN_FLIGHT(
            "chat.bridge.in.flight",
            Kind.GAUGE,
            "calls",
            "Calls in flight now (permits of the in-flight limiter in use), at most chat.max.in.flight."),
    /** The in-flight limit in force. */
    LIMIT_IN_FORCE(
            "chat.bridge.limit.in.force",
            Kind.GAUGE,
            "calls",
            "The in-flight limit in force: the smallest of chat.max.in.flight, the adaptive limit (with "
                    + "chat.adaptive.enabled) and the instance's share of chat.quota.max.in.flight."),
    /** The adaptive limit. */
    ADAPTIVE_LIMIT(
            "chat.bridge.adaptive.limit",
            Kind.GAUGE,
            "calls",
            "The adaptive limit (chat.max.in.flight when chat.adaptive.enabled is false): down on 429, 503 and "
                    + "timeouts, up while calls succeed at their baseline latency."),
    /** The instance's share of the deployment's quota. */
    QUOTA_SHARE(
            "chat.bridge.quota.share",
            Kind.GAUGE,
            null,
            "This instance's share of the API quota: input partitions it owns / all input partitions, recomputed on "
                    + "every rebalance (1 when no quota is set). Across instances it adds up to at most 1."),
    /** Requests per second the instance may start. */
    QUOTA_RATE(
            "chat.bridge.quota.rate",
            Kind.GAUGE,
            null,
            "Calls per second this instance may start: chat.quota.requests.per.second x its share (0 when no rate "
                    + "quota is set)."),
    /** Time paused by Retry-After. */
    RETRY_AFTER_PAUSED(
            "chat.bridge.retry.after.paused",
            Kind.COUNTER,
            "seconds",
            "Time every new call of the instance waited because the API answered 429 with Retry-After (with "
                    + "chat.adaptive.enabled). The 429s received are chat.bridge.retries with reason 429."),
    /** Starts held back by the gate. */
    STARTS_HELD(
            "chat.bridge.starts.held",
            Kind.COUNTER,
            "tries",
            "Tries to start a call that were held back, by what held them: a Retry-After pause, or the instance's "
                    + "share of chat.quota.requests.per.second (each a call that would otherwise have gone out above the "
                    + "quota: a 429 avoided). A call held back is tried again when the gate says, so one call may count "
                    + "more than once.",
            MeterTag.HELD_BY),
    /** Accepted, unfinished requests now. */
    PENDING(
            "chat.bridge.pending",
            Kind.GAUGE,
            "requests",
            "Accepted requests not yet finished, across the instance's tasks; backpressure compares it with "
                    + "chat.max.pending."),
    /** Operator-failure episodes. */
    OPERATOR_FAILURE_EPISODES(
            "chat.bridge.operator.failure.episodes",
            Kind.COUNTER,
            "episodes",
            "Episodes in which a key check (no account, no user content) was refused too (401/403 key, 404 base "
                    + "path, redirect) and dispatching paused; one per pause, however many calls failed in it."),
    /** Key checks by verdict. */
    KEY_CHECKS(
            "chat.bridge.key.checks",
            Kind.COUNTER,
            "checks",
            "Synthetic key checks (POST /chats/v2 with no messages, no account) by verdict: accepted (a refusal was "
                    + "the request's: its dead letter), refused (the deployment's: dispatching pauses), unknown "
                    + "(transient failure: checked again later). Each costs one API request and no model call.",
            MeterTag.KEY_CHECK_VERDICT),
    /** Audit events that could not be delivered. */
    AUDIT_DROPPED(
            "chat.bridge.audit.dropped",
            Kind.COUNTER,
            "events",
            "Audit events the audit topic producer could not take or deliver (the audit log line is written "
                    + "regardless). Normally 0; alert on any increase."),
    /** Waits for the schema registry. */
    REGISTRY_WAITS(
            "chat.bridge.registry.waits",
            Kind.COUNTER,
            "waits",
            "Times a step could not ask the schema registry (unreachable, 401, 403, 429 or 5xx) and waits instead of "
                    + "failing: decode (input parked in the pending table), dispatch (a pending request could not be "
                    + "read), output (an outcome could not be serialized). Readiness is false while the instance waits.",
            MeterTag.REGISTRY_STEP),
    /** Input skipped as a replay. */
    INPUT_REPLAYED(
            "chat.bridge.input.replayed",
            Kind.COUNTER,
            "records",
            "Input records at or below their task's high-water mark of accepted offsets, skipped because they were "
                    + "accepted before (a replay after a crash under at_least_once)."),
    /** Dead letters that left fields out to fit. */
    DEAD_LETTERS_SHRUNK(
            "chat.bridge.dead.letters.shrunk",
            Kind.COUNTER,
            "letters",
            "Dead letters that were over chat.response.max.bytes and left fields out (listed in their 'omitted')."),
    /** Outcomes refused as too large and replaced by a minimal dead letter. */
    OVERSIZE_OUTCOMES(
            "chat.bridge.oversize.outcomes",
            Kind.COUNTER,
            "outcomes",
            "Outcomes (responses or dead letters) that the producer or the broker refused as too large and that the "
                    + "production exception handler replaced by a minimal dead letter: the last safety net, normally 0. "
                    + "Raise max.request.size and the topics' max.message.bytes, or lower chat.response.max.bytes."),
    /** Readiness. */
    READY(
            "chat.bridge.ready",
            Kind.GAUGE,
            null,
            "1 when the instance is ready (Kafka Streams RUNNING, the API not refusing the deployment and the schema "
                    + "registry answering), else 0.");

    /** How a meter measures. */
    public enum Kind {
        /** A monotonic count. */
        COUNTER(Meter.Type.COUNTER),
        /** A timer with a histogram. */
        TIMER(Meter.Type.TIMER),
        /** A value sampled when read. */
        GAUGE(Meter.Type.GAUGE);

        private final Meter.Type micrometerType;

        Kind(Meter.Type micrometerType) {
            this.micrometerType = micrometerType;
        }

        /** The Micrometer meter type. */
        public Meter.Type micrometerType() {
            return micrometerType;
        }
    }

    private static final PrometheusNamingConvention PROMETHEUS = new PrometheusNamingConvention();

    private final String meterName;
    private final Kind kind;
    private final String baseUnit;
    private final String description;
    private final List<MeterTag> tags;

    ChatBridgeMeters(String meterName, Kind kind, String baseUnit, String description, MeterTag... tags) {
        this.meterName = meterName;
        this.kind = kind;
        this.baseUnit = baseUnit;
        this.description = description;
        this.tags = List.of(tags);
    }

    /** The dotted meter name. */
    public String meterName() {
        return meterName;
    }

    /** The meter's type. */
    public Kind kind() {
        return kind;
    }

    /** The base unit, or null for a unitless gauge. */
    public String baseUnit() {
        return baseUnit;
    }

    /** What it measures, for a human. */
    public String description() {
        return description;
    }

    /** Its tags, in order. */
    public List<MeterTag> tags() {
        return tags;
    }

    /** The name of its main Prometheus sample: {@code _total} for a counter, {@code _seconds_count} for a timer. */
    public String prometheusName() {
        String base = PROMETHEUS.name(meterName, kind.micrometerType(), baseUnit);
        return switch (kind) {
            case COUNTER -> base + "_total";
            case TIMER -> base + "_count";
            case GAUGE -> base;
        };
    }

    /** {@code docs/metrics.md}: the catalogue as a Markdown page. */
    public static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# chat-bridge metrics\n\n")
                .append("<!-- Generated from dev.chatbridge.observability.ChatBridgeMeters; do not edit. -->\n")
                .append(
                        "<!-- Regenerate: ./mvnw -o test -Dtest=ChatBridgeMetersTest -Dchatbridge.docs.write=true -->\n\n")
                .append("The service's own meters. `GET /metrics` on the ops port (`chat.metrics.port`, default 9404) ")
                .append("shows them in the Prometheus text format, next to the JVM meters (`jvm_*`, `process_*`, ")
                .append("`system_*`), the Kafka Streams client meters (`kafka_stream_*`, `kafka_consumer_*`, ")
                .append("`kafka_producer_*`, ...) and the Reactor Netty connection pool meters of the API client ")
                .append("(`reactor_netty_connection_provider_*`, pool name `chat-api`).\n\n")
                .append("Timers publish histogram buckets (`_bucket{le=...}`) between 1 ms and 5 min.\n\n")
                .append("Health: `GET /health/live` answers 200 `{\"status\":\"UP\"}` unless Kafka Streams is ERROR, ")
                .append("PENDING_ERROR or NOT_RUNNING (503); `GET /health/ready` answers 200 only while Kafka Streams ")
                .append(
                        "is RUNNING and the API accepts the deployment (no operator failure), else 503 with the reason.\n\n")
                .append("Logs: text by default, JSON lines with `-Dchatbridge.log.format=json` or ")
                .append("`CHAT_BRIDGE_LOG_FORMAT=json`. Request-scoped engine lines carry `requestId` and `threadId` ")
                .append("in the MDC; prompts, answers and the API key are never logged.\n\n")
                .append("| Name | Prometheus | Type | Unit | Tags | Description |\n")
                .append("|---|---|---|---|---|---|\n");
        for (ChatBridgeMeters meter : values()) {
            md.append("| `")
                    .append(meter.meterName)
                    .append("` | `")
                    .append(meter.prometheusName())
                    .append("` | ")
                    .append(meter.kind.name().toLowerCase(Locale.ROOT))
                    .append(" | ")
                    .append(meter.baseUnit == null ? "" : meter.baseUnit)
                    .append(" | ")
                    .append(meter.tags.stream().map(t -> "`" + t.key() + "`").collect(Collectors.joining(", ")))
                    .append(" | ")
                    .append(meter.description)
                    .append(" |\n");
        }
        md.append("\n## Tag values\n\n");
        for (ChatBridgeMeters meter : values()) {
            for (MeterTag tag : meter.tags) {
                md.append("- `")
                        .append(meter.meterName)
                        .append("` `")
                        .append(tag.key())
                        .append("`: ")
                        .append(tag.allowedValues().stream()
                                .map(v -> "`" + v + "`")
                                .collect(Collectors.joining(", ")))
                        .append('\n');
            }
        }
        return md.toString();
    }
}
