package dev.chatbridge.engine;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.DOUBLE;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;

/**
 * The engine's part of chat-bridge's one configuration definition: key (the {@code EngineConfig.KEY_*} constants),
 * type, default, validator and documentation of every engine and retry setting. {@link EngineConfig#fromProperties} and
 * {@link EngineConfig#builder()} take their defaults from here, and {@code dev.chatbridge.config.ChatBridgeConfig}
 * extends it with the service's other settings; no other list of engine keys or defaults exists.
 */
public final class EngineConfigDef {

    /** Calls at most per attempt of a request, the first included. */
    public static final String KEY_RETRY_MAX_ATTEMPTS = "chat.retry.max.attempts";
    /** Upper bound of the first retry delay. */
    public static final String KEY_RETRY_INITIAL_BACKOFF = "chat.retry.initial.backoff.ms";
    /** Upper bound of any retry delay from backoff alone. */
    public static final String KEY_RETRY_MAX_BACKOFF = "chat.retry.max.backoff.ms";
    /** Cap on the API's Retry-After. */
    public static final String KEY_RETRY_MAX_RETRY_AFTER = "chat.retry.max.retry.after.ms";
    /** No retry starts later than this after the first attempt. */
    public static final String KEY_RETRY_MAX_TOTAL_TIME = "chat.retry.max.total.time.ms";

    private EngineConfigDef() {}

    /** A new definition holding the engine and retry settings (callers may add their own). */
    public static ConfigDef definition() {
        return new ConfigDef()
                .define(
                        EngineConfig.KEY_REQUESTS_TOPIC,
                        STRING,
                        "chat-requests",
                        new ConfigDef.NonEmptyString(),
                        HIGH,
                        "Topic of ChatRequest events (input).")
                .define(
                        EngineConfig.KEY_RESPONSES_TOPIC,
                        STRING,
                        "chat-responses",
                        new ConfigDef.NonEmptyString(),
                        HIGH,
                        "Topic of ChatResponse events (output).")
                .define(
                        EngineConfig.KEY_DEAD_LETTERS_TOPIC,
                        STRING,
                        "chat-dead-letters",
                        new ConfigDef.NonEmptyString(),
                        HIGH,
                        "Topic of ChatDeadLetter events (output).")
                .define(
                        EngineConfig.KEY_INPUT_KEYING,
                        STRING,
                        EngineConfig.InputKeying.TRUST_INPUT_KEY.name(),
                        ConfigDef.CaseInsensitiveValidString.in("TRUST_INPUT_KEY", "REKEY"),
                        MEDIUM,
                        "TRUST_INPUT_KEY: producers key requests by thread (threadId, else requestId) and the input "
                                + "partitioning is used as is. REKEY: requests are re-keyed by thread through a "
                                + "repartition topic first (one more topic, one more hop).")
                .define(
                        EngineConfig.KEY_MAX_IN_FLIGHT,
                        INT,
                        64,
                        Range.atLeast(1),
                        HIGH,
                        "API calls in flight at most per instance (also the HTTP connection pool size).")
                .define(
                        EngineConfig.KEY_ADAPTIVE_ENABLED,
                        BOOLEAN,
                        false,
                        MEDIUM,
                        "Whether the in-flight limit adapts below chat.max.in.flight (which becomes its ceiling): down "
                                + "on 429, 503 and timeouts, up slowly while calls succeed and latency stays near its "
                                + "baseline; and whether a 429's Retry-After pauses every new call of the instance "
                                + "for that long (the call is tried again after it without counting as an attempt). "
                                + "Off by default: turn it on when the API's 429s and 503s speak for the whole "
                                + "deployment (a shared key or quota). An API that refuses single users with 429 would "
                                + "otherwise pause everyone's calls for one user's limit.")
                .define(
                        EngineConfig.KEY_ADAPTIVE_ALGORITHM,
                        STRING,
                        AdaptiveLimit.Algorithm.PROBE.name(),
                        ConfigDef.CaseInsensitiveValidString.in("PROBE", "AIMD", "GRADIENT2"),
                        LOW,
                        "How the adaptive limit moves (with chat.adaptive.enabled). PROBE: doubles per round trip "
                                + "until the first refusal, then sits just below the level refused and probes above it "
                                + "once per 30 s, so a Retry-After pause is rarely paid. AIMD and GRADIENT2: Netflix "
                                + "concurrency-limits' windowed AIMD (x0.9 on a refusal, +1 per 1 s window) and "
                                + "Gradient2 (latency only; ignores refusals), for comparison; see docs/benchmarks.md.")
                .define(
                        EngineConfig.KEY_QUOTA_REQUESTS_PER_SECOND,
                        DOUBLE,
                        0.0,
                        Range.atLeast(0.0),
                        MEDIUM,
                        "The API's request rate quota for the whole deployment (all instances with this "
                                + "application.id), 0 for none. Each instance starts at most quota x (input partitions "
                                + "it owns / all input partitions) calls per second, recomputed on every rebalance; no "
                                + "coordinator. Retries count.")
                .define(
                        EngineConfig.KEY_QUOTA_MAX_IN_FLIGHT,
                        INT,
                        0,
                        Range.atLeast(0),
                        MEDIUM,
                        "The API's quota of concurrent calls for the whole deployment, 0 for none. Each instance keeps "
                                + "at most floor(quota x owned partitions / all partitions) calls in flight (at least "
                                + "1 while it owns any), and never more than chat.max.in.flight.")
                .define(
                        EngineConfig.KEY_MAX_PENDING,
                        INT,
                        1000,
                        Range.atLeast(1),
                        MEDIUM,
                        "Accepted, unfinished requests per instance before input waits (at least "
                                + EngineConfig.KEY_MAX_IN_FLIGHT + ").")
                .define(
                        EngineConfig.KEY_BACKPRESSURE_MAX_WAIT,
                        LONG,
                        5_000L,
                        Range.atLeast(1),
                        LOW,
                        "Longest a stream thread waits for room between two punctuations; must stay below half of "
                                + "max.poll.interval.ms and, under exactly-once, below transaction.timeout.ms minus "
                                + "commit.interval.ms.")
                .define(
                        EngineConfig.KEY_DRAIN_INTERVAL,
                        LONG,
                        10L,
                        Range.atLeast(1),
                        LOW,
                        "Wall-clock period at which completed calls are forwarded by the stream threads.")
                .define(
                        EngineConfig.KEY_ATTEMPT_TIMEOUT,
                        LONG,
                        310_000L,
                        Range.atLeast(1),
                        LOW,
                        "Safety net per API attempt: a call with no outcome by then is cancelled and retried. Must "
                                + "not be below chat.api.attempt.timeout.ms, which normally ends an attempt first.")
                .define(
                        EngineConfig.KEY_MAX_MESSAGES,
                        INT,
                        100,
                        Range.atLeast(1),
                        MEDIUM,
                        "Messages per request at most; larger requests become INVALID_REQUEST dead letters.")
                .define(
                        EngineConfig.KEY_MAX_TEXT_BYTES,
                        INT,
                        100 * 1024,
                        Range.atLeast(1),
                        MEDIUM,
                        "UTF-8 bytes of all message texts of a request at most; larger requests become "
                                + "INVALID_REQUEST dead letters.")
                .define(
                        EngineConfig.KEY_MAX_REQUEST_BYTES,
                        INT,
                        256 * 1024,
                        Range.atLeast(EngineConfig.MIN_REQUEST_BYTES),
                        MEDIUM,
                        "Bytes of one request record's value at most; a larger request becomes an INVALID_REQUEST "
                                + "dead letter that leaves the request out (its size and SHA-256 stay).")
                .define(
                        EngineConfig.KEY_MAX_ID_CHARS,
                        INT,
                        256,
                        Range.atLeast(EngineConfig.MIN_ID_CHARS),
                        MEDIUM,
                        "Characters of requestId, threadId and assistantId at most; longer ids, blank ids and ids "
                                + "with control characters make a request INVALID_REQUEST.")
                .define(
                        EngineConfig.KEY_MAX_METADATA_BYTES,
                        INT,
                        16 * 1024,
                        Range.atLeast(0),
                        MEDIUM,
                        "UTF-8 bytes of a request's metadata keys and values at most; more makes it INVALID_REQUEST.")
                .define(
                        EngineConfig.KEY_MAX_RESPONSE_BYTES,
                        INT,
                        1_000_000,
                        Range.atLeast(EngineConfig.MIN_RESPONSE_BYTES),
                        MEDIUM,
                        "Serialized bytes of any outcome event at most (keep it below the producer's "
                                + "max.request.size and the output topics' max.message.bytes, less room for key and "
                                + "headers; run checks this). A larger answer becomes a RESPONSE_TOO_LARGE dead "
                                + "letter; a larger dead letter leaves fields out and lists them in 'omitted'.")
                .define(
                        EngineConfig.KEY_PAUSE_INITIAL_BACKOFF,
                        LONG,
                        1_000L,
                        Range.atLeast(1),
                        LOW,
                        "After a refused call (3xx, 401, 403, 404): at most one synthetic key check per this "
                                + "interval while the instance runs, and the first wait between key checks once one "
                                + "was refused too and dispatching paused.")
                .define(
                        EngineConfig.KEY_PAUSE_MAX_BACKOFF,
                        LONG,
                        60_000L,
                        Range.atLeast(1),
                        LOW,
                        "Longest wait between two key checks while the API refuses the deployment (the wait "
                                + "doubles from " + EngineConfig.KEY_PAUSE_INITIAL_BACKOFF + ").")
                .define(
                        KEY_RETRY_MAX_ATTEMPTS,
                        INT,
                        5,
                        Range.atLeast(1),
                        MEDIUM,
                        "Attempts at most per request for retriable failures (429, 5xx, timeouts, broken "
                                + "connections), the first included; then a RETRIES_EXHAUSTED dead letter.")
                .define(
                        KEY_RETRY_INITIAL_BACKOFF,
                        LONG,
                        500L,
                        Range.atLeast(1),
                        LOW,
                        "Upper bound of the first retry delay (exponential backoff with full jitter).")
                .define(
                        KEY_RETRY_MAX_BACKOFF,
                        LONG,
                        30_000L,
                        Range.atLeast(1),
                        LOW,
                        "Upper bound of any retry delay from backoff alone.")
                .define(
                        KEY_RETRY_MAX_RETRY_AFTER,
                        LONG,
                        60_000L,
                        Range.atLeast(1),
                        LOW,
                        "Cap on the API's Retry-After; a retry waits at least Retry-After up to this cap.")
                .define(
                        KEY_RETRY_MAX_TOTAL_TIME,
                        LONG,
                        300_000L,
                        Range.atLeast(1),
                        MEDIUM,
                        "No retry starts later than this after the first attempt of a request.");
    }
}
