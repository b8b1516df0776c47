package dev.chatbridge.engine;

import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.config.InvalidConfigurationException;
import dev.chatbridge.config.SettingChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the engine, immutable and validated when built: every message names the setting by its dotted key (the
 * {@code KEY_*} constants) and says what would be accepted.
 *
 * <p>{@link #validateAgainst(Map)} checks the relationships with the Kafka Streams settings that keep a backpressure
 * wait from getting the instance evicted from its group or its transaction fenced.
 *
 * @param requestsTopic topic of ChatRequest events ({@value #KEY_REQUESTS_TOPIC})
 * @param responsesTopic topic of ChatResponse events ({@value #KEY_RESPONSES_TOPIC})
 * @param deadLettersTopic topic of ChatDeadLetter events ({@value #KEY_DEAD_LETTERS_TOPIC})
 * @param inputKeying whether input partitioning is trusted or requests are re-keyed by thread
 * @param maxInFlight calls in flight at most per instance ({@value #KEY_MAX_IN_FLIGHT})
 * @param maxPending accepted, unfinished requests per instance before input waits
 * @param backpressureMaxWait longest a stream thread waits for room between two punctuations
 * @param drainInterval wall-clock period of the completion drain punctuator
 * @param attemptTimeout safety net: a call with no outcome by then is cancelled and retried
 * @param maxMessages messages per request at most
 * @param maxTextBytes UTF-8 bytes of all message texts of a request at most
 * @param maxRequestBytes bytes of one request record at most
 * @param maxIdChars characters of requestId, threadId and assistantId at most
 * @param maxMetadataBytes UTF-8 bytes of a request's metadata keys and values at most
 * @param maxResponseBytes serialized bytes of any outcome event at most; larger answers become RESPONSE_TOO_LARGE dead
 *     letters, larger dead letters leave fields out
 * @param pauseInitialBackoff least time between key checks while running; first wait between them once paused
 * @param pauseMaxBackoff longest wait between two key checks while paused
 * @param retryPolicy when retriable failures are tried again
 * @param adaptive whether the limit in force adapts below {@code maxInFlight} and a 429's Retry-After pauses the
 *     instance ({@value #KEY_ADAPTIVE_ENABLED})
 * @param adaptiveAlgorithm how the adaptive limit moves ({@value #KEY_ADAPTIVE_ALGORITHM})
 * @param quotaRequestsPerSecond the API's request rate for the whole deployment, 0 for none
 *     ({@value #KEY_QUOTA_REQUESTS_PER_SECOND})
 * @param quotaMaxInFlight the API's concurrent calls for the whole deployment, 0 for none
 *     ({@value #KEY_QUOTA_MAX_IN_FLIGHT})
 */
public record EngineConfig(
        String requestsTopic,
        String responsesTopic,
        String deadLettersTopic,
        InputKeying inputKeying,
        int maxInFlight,
        int maxPending,
        Duration backpressureMaxWait,
        Duration drainInterval,
        Duration attemptTimeout,
        int maxMessages,
        int maxTextBytes,
        int maxRequestBytes,
        int maxIdChars,
        int maxMetadataBytes,
        int maxResponseBytes,
        Duration pauseInitialBackoff,
        Duration pauseMaxBackoff,
        RetryPolicy retryPolicy,
        boolean adaptive,
        AdaptiveLimit.Algorithm adaptiveAlgorithm,
        double quotaRequestsPerSecond,
        int quotaMaxInFlight) {

    /** How the engine finds the partition of a conversation thread. */
    public enum InputKeying {
        /** Producers key requests by thread key; the input partitioning is used as is. */
        TRUST_INPUT_KEY,
        /** Requests are re-keyed by thread key through a repartition topic first. */
        REKEY
    }

    public static final String KEY_REQUESTS_TOPIC = "chat.topics.requests";
    public static final String KEY_RESPONSES_TOPIC = "chat.topics.responses";
    public static final String KEY_DEAD_LETTERS_TOPIC = "chat.topics.dead.letters";
    public static final String KEY_INPUT_KEYING = "chat.input.keying";
    public static final String KEY_MAX_IN_FLIGHT = "chat.max.in.flight";
    public static final String KEY_MAX_PENDING = "chat.max.pending";
    public static final String KEY_BACKPRESSURE_MAX_WAIT = "chat.backpressure.max.wait.ms";
    public static final String KEY_DRAIN_INTERVAL = "chat.drain.interval.ms";
    public static final String KEY_ATTEMPT_TIMEOUT = "chat.call.timeout.ms";
    public static final String KEY_MAX_MESSAGES = "chat.request.max.messages";
    public static final String KEY_MAX_TEXT_BYTES = "chat.request.max.text.bytes";
    public static final String KEY_MAX_REQUEST_BYTES = "chat.request.max.bytes";
    public static final String KEY_MAX_ID_CHARS = "chat.request.max.id.chars";
    public static final String KEY_MAX_METADATA_BYTES = "chat.request.max.metadata.bytes";
    public static final String KEY_MAX_RESPONSE_BYTES = "chat.response.max.bytes";
    public static final String KEY_PAUSE_INITIAL_BACKOFF = "chat.pause.initial.backoff.ms";
    public static final String KEY_PAUSE_MAX_BACKOFF = "chat.pause.max.backoff.ms";
    public static final String KEY_ADAPTIVE_ENABLED = "chat.adaptive.enabled";
    public static final String KEY_ADAPTIVE_ALGORITHM = "chat.adaptive.algorithm";
    public static final String KEY_QUOTA_REQUESTS_PER_SECOND = "chat.quota.requests.per.second";
    public static final String KEY_QUOTA_MAX_IN_FLIGHT = "chat.quota.max.in.flight";

    /** Smallest {@link #maxRequestBytes()}, the range of {@value #KEY_MAX_REQUEST_BYTES} too. */
    static final int MIN_REQUEST_BYTES = 1024;
    /** Smallest {@link #maxIdChars()}, the range of {@value #KEY_MAX_ID_CHARS} too. */
    static final int MIN_ID_CHARS = 16;

    /** Room for the smallest dead letter (ids and message cut to 1000 characters each), whatever else is left out. */
    static final int MIN_RESPONSE_BYTES = 16 * 1024;

    private static final EngineConfig DEFAULTS = fromProperties(Map.of());

    public EngineConfig {
        List<String> errors = new ArrayList<>();
        requireTopic(requestsTopic, KEY_REQUESTS_TOPIC, errors);
        requireTopic(responsesTopic, KEY_RESPONSES_TOPIC, errors);
        requireTopic(deadLettersTopic, KEY_DEAD_LETTERS_TOPIC, errors);
        if (inputKeying == null) {
            errors.add(KEY_INPUT_KEYING + " must be TRUST_INPUT_KEY or REKEY, was null");
        }
        SettingChecks.atLeast(maxInFlight, 1, KEY_MAX_IN_FLIGHT, errors);
        SettingChecks.atLeast(maxPending, 1, KEY_MAX_PENDING, errors);
        if (maxPending < maxInFlight && errors.isEmpty()) {
            errors.add(KEY_MAX_PENDING + " (" + maxPending + ") must be at least " + KEY_MAX_IN_FLIGHT + " ("
                    + maxInFlight + "), or in-flight slots could never be filled");
        }
        SettingChecks.positive(backpressureMaxWait, KEY_BACKPRESSURE_MAX_WAIT, errors);
        SettingChecks.positive(drainInterval, KEY_DRAIN_INTERVAL, errors);
        SettingChecks.positive(attemptTimeout, KEY_ATTEMPT_TIMEOUT, errors);
        SettingChecks.atLeast(maxMessages, 1, KEY_MAX_MESSAGES, errors);
        SettingChecks.atLeast(maxTextBytes, 1, KEY_MAX_TEXT_BYTES, errors);
        SettingChecks.atLeast(maxRequestBytes, MIN_REQUEST_BYTES, KEY_MAX_REQUEST_BYTES, errors);
        SettingChecks.atLeast(maxIdChars, MIN_ID_CHARS, KEY_MAX_ID_CHARS, errors);
        SettingChecks.atLeast(maxMetadataBytes, 0, KEY_MAX_METADATA_BYTES, errors);
        SettingChecks.atLeast(maxResponseBytes, MIN_RESPONSE_BYTES, KEY_MAX_RESPONSE_BYTES, errors);
        SettingChecks.positive(pauseInitialBackoff, KEY_PAUSE_INITIAL_BACKOFF, errors);
        SettingChecks.positive(pauseMaxBackoff, KEY_PAUSE_MAX_BACKOFF, errors);
        if (errors.isEmpty()) {
            SettingChecks.notBelow(
                    KEY_PAUSE_MAX_BACKOFF,
                    pauseMaxBackoff.toMillis(),
                    KEY_PAUSE_INITIAL_BACKOFF,
                    pauseInitialBackoff.toMillis(),
                    errors);
        }
        if (retryPolicy == null) {
            errors.add("retry policy must be set");
        }
        if (adaptiveAlgorithm == null) {
            errors.add(KEY_ADAPTIVE_ALGORITHM + " must be one of PROBE, AIMD, GRADIENT2, was null");
        }
        if (!(quotaRequestsPerSecond >= 0) || Double.isInfinite(quotaRequestsPerSecond)) {
            errors.add(KEY_QUOTA_REQUESTS_PER_SECOND + " must be a finite number of requests per second, at least 0 "
                    + "(0: no rate quota), was " + quotaRequestsPerSecond);
        }
        SettingChecks.atLeast(quotaMaxInFlight, 0, KEY_QUOTA_MAX_IN_FLIGHT, errors);
        if (!errors.isEmpty()) {
            throw new InvalidConfigurationException(errors);
        }
    }

    /** A builder holding the defaults (those of {@link EngineConfigDef#definition()}). */
    public static Builder builder() {
        return DEFAULTS.toBuilder();
    }

    /**
     * The configuration given by the {@code KEY_*} and retry settings present in {@code props} (values as strings or
     * numbers; durations in milliseconds), the defaults of {@link EngineConfigDef#definition()} for the others. Unknown
     * keys are ignored: the same map usually carries Kafka settings too.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key of a value of the wrong type
     * @throws InvalidConfigurationException naming every setting out of its range, one line each
     */
    public static EngineConfig fromProperties(Map<?, ?> props) {
        Map<String, Object> v = EngineConfigDef.definition().parse(props);
        return new Builder()
                .requestsTopic((String) v.get(KEY_REQUESTS_TOPIC))
                .responsesTopic((String) v.get(KEY_RESPONSES_TOPIC))
                .deadLettersTopic((String) v.get(KEY_DEAD_LETTERS_TOPIC))
                .inputKeying(InputKeying.valueOf(
                        ((String) v.get(KEY_INPUT_KEYING)).trim().toUpperCase(Locale.ROOT)))
                .maxInFlight((Integer) v.get(KEY_MAX_IN_FLIGHT))
                .maxPending((Integer) v.get(KEY_MAX_PENDING))
                .backpressureMaxWait(millis(v, KEY_BACKPRESSURE_MAX_WAIT))
                .drainInterval(millis(v, KEY_DRAIN_INTERVAL))
                .attemptTimeout(millis(v, KEY_ATTEMPT_TIMEOUT))
                .maxMessages((Integer) v.get(KEY_MAX_MESSAGES))
                .maxTextBytes((Integer) v.get(KEY_MAX_TEXT_BYTES))
                .maxRequestBytes((Integer) v.get(KEY_MAX_REQUEST_BYTES))
                .maxIdChars((Integer) v.get(KEY_MAX_ID_CHARS))
                .maxMetadataBytes((Integer) v.get(KEY_MAX_METADATA_BYTES))
                .maxResponseBytes((Integer) v.get(KEY_MAX_RESPONSE_BYTES))
                .pauseInitialBackoff(millis(v, KEY_PAUSE_INITIAL_BACKOFF))
                .pauseMaxBackoff(millis(v, KEY_PAUSE_MAX_BACKOFF))
                .retryPolicy(new RetryPolicy(
                        (Integer) v.get(EngineConfigDef.KEY_RETRY_MAX_ATTEMPTS),
                        millis(v, EngineConfigDef.KEY_RETRY_INITIAL_BACKOFF),
                        millis(v, EngineConfigDef.KEY_RETRY_MAX_BACKOFF),
                        millis(v, EngineConfigDef.KEY_RETRY_MAX_RETRY_AFTER),
                        millis(v, EngineConfigDef.KEY_RETRY_MAX_TOTAL_TIME),
                        new Random()))
                .adaptive((Boolean) v.get(KEY_ADAPTIVE_ENABLED))
                .adaptiveAlgorithm(AdaptiveLimit.Algorithm.valueOf(
                        ((String) v.get(KEY_ADAPTIVE_ALGORITHM)).trim().toUpperCase(Locale.ROOT)))
                .quotaRequestsPerSecond((Double) v.get(KEY_QUOTA_REQUESTS_PER_SECOND))
                .quotaMaxInFlight((Integer) v.get(KEY_QUOTA_MAX_IN_FLIGHT))
                .build();
    }

    private static Duration millis(Map<String, Object> values, String key) {
        return Duration.ofMillis((Long) values.get(key));
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.requestsTopic = requestsTopic;
        b.responsesTopic = responsesTopic;
        b.deadLettersTopic = deadLettersTopic;
        b.inputKeying = inputKeying;
        b.maxInFlight = maxInFlight;
        b.maxPending = maxPending;
        b.backpressureMaxWait = backpressureMaxWait;
        b.drainInterval = drainInterval;
        b.attemptTimeout = attemptTimeout;
        b.maxMessages = maxMessages;
        b.maxTextBytes = maxTextBytes;
        b.maxRequestBytes = maxRequestBytes;
        b.maxIdChars = maxIdChars;
        b.maxMetadataBytes = maxMetadataBytes;
        b.maxResponseBytes = maxResponseBytes;
        b.pauseInitialBackoff = pauseInitialBackoff;
        b.pauseMaxBackoff = pauseMaxBackoff;
        b.retryPolicy = retryPolicy;
        b.adaptive = adaptive;
        b.adaptiveAlgorithm = adaptiveAlgorithm;
        b.quotaRequestsPerSecond = quotaRequestsPerSecond;
        b.quotaMaxInFlight = quotaMaxInFlight;
        return b;
    }

    /**
     * Refuses settings under which a backpressure wait could keep a stream thread from polling longer than
     * {@code max.poll.interval.ms} allows, or keep a transaction open past the producer's
     * {@code transaction.timeout.ms}.
     *
     * <p>A stream thread waits for room at most {@code backpressureMaxWait} between two rounds of punctuation; Kafka
     * Streams itself leaves its processing loop to poll once half of {@code max.poll.interval.ms} is spent. The bound
     * checked is therefore {@code backpressureMaxWait < max.poll.interval.ms / 2}, and under exactly-once also
     * {@code backpressureMaxWait + commit.interval.ms < transaction.timeout.ms}.
     *
     * <p>The API's per-attempt deadline and the retry budget are deliberately not part of either bound: no stream
     * thread ever waits for an HTTP call and no transaction stays open across one (the pending table makes an accepted
     * request durable at the next commit), so however slow the API is, it shows up as pending entries and consumer lag,
     * never as a long poll gap or a long transaction.
     *
     * @param streamsProps the Kafka Streams properties the instance will run with
     * @throws InvalidConfigurationException naming the keys and the fix when the settings could clash, one line each
     */
    public void validateAgainst(Map<?, ?> streamsProps) {
        long budget = backpressureMaxWait.toMillis();
        long maxPoll = longSetting(
                streamsProps,
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                300_000L,
                StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG),
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG));
        List<String> errors = new ArrayList<>();
        if (budget >= maxPoll / 2) {
            errors.add(KEY_BACKPRESSURE_MAX_WAIT + " (" + budget + ") must stay below half of "
                    + ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG + " (" + maxPoll + "), or a waiting stream thread "
                    + "is evicted from the group: lower " + KEY_BACKPRESSURE_MAX_WAIT + " or raise "
                    + ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG + " above " + (2 * budget + 2));
        }
        if (StreamsProperties.isExactlyOnce(streamsProps)) {
            long commit = longSetting(streamsProps, StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100L);
            long txTimeout = longSetting(
                    streamsProps,
                    ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                    StreamsProperties.EOS_TRANSACTION_TIMEOUT_MS,
                    StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
            if (budget + commit >= txTimeout) {
                errors.add(KEY_BACKPRESSURE_MAX_WAIT + " (" + budget + ") + "
                        + StreamsConfig.COMMIT_INTERVAL_MS_CONFIG + " (" + commit + ") must stay below the producer "
                        + ProducerConfig.TRANSACTION_TIMEOUT_CONFIG + " (" + txTimeout + ") under exactly-once, "
                        + "or the open transaction is aborted and the thread fenced: lower "
                        + KEY_BACKPRESSURE_MAX_WAIT + " or set "
                        + StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG) + " above "
                        + (budget + commit));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigurationException(errors);
        }
    }

    private static long longSetting(Map<?, ?> props, String key, long fallback, String... overrides) {
        for (String override : overrides) {
            Object v = props.get(override);
            if (v != null) {
                return parseLong(override, v);
            }
        }
        Object v = props.get(key);
        return v == null ? fallback : parseLong(key, v);
    }

    private static long parseLong(String key, Object value) {
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException(List.of(key + " must be a number, was '" + value + "'"));
        }
    }

    private static void requireTopic(String topic, String key, List<String> errors) {
        if (topic == null || topic.isBlank()) {
            errors.add(key + " must name a topic, was '" + topic + "'");
        } else if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
            errors.add(key + " must be a legal topic name (letters, digits, '.', '_', '-'), was '" + topic + "'");
        }
    }

    /** Collects settings; {@link EngineConfig#builder()} starts it from the defaults. */
    public static final class Builder {
        private String requestsTopic;
        private String responsesTopic;
        private String deadLettersTopic;
        private InputKeying inputKeying;
        private int maxInFlight;
        private int maxPending;
        private Duration backpressureMaxWait;
        private Duration drainInterval;
        private Duration attemptTimeout;
        private int maxMessages;
        private int maxTextBytes;
        private int maxRequestBytes;
        private int maxIdChars;
        private int maxMetadataBytes;
        private int maxResponseBytes;
        private Duration pauseInitialBackoff;
        private Duration pauseMaxBackoff;
        private RetryPolicy retryPolicy;
        private boolean adaptive;
        private AdaptiveLimit.Algorithm adaptiveAlgorithm;
        private double quotaRequestsPerSecond;
        private int quotaMaxInFlight;

        private Builder() {}

        public Builder requestsTopic(String v) {
            requestsTopic = v;
            return this;
        }

        public Builder responsesTopic(String v) {
            responsesTopic = v;
            return this;
        }

        public Builder deadLettersTopic(String v) {
            deadLettersTopic = v;
            return this;
        }

        public Builder inputKeying(InputKeying v) {
            inputKeying = v;
            return this;
        }

        public Builder maxInFlight(int v) {
            maxInFlight = v;
            return this;
        }

        public Builder maxPending(int v) {
            maxPending = v;
            return this;
        }

        public Builder backpressureMaxWait(Duration v) {
            backpressureMaxWait = v;
            return this;
        }

        public Builder drainInterval(Duration v) {
            drainInterval = v;
            return this;
        }

        public Builder attemptTimeout(Duration v) {
            attemptTimeout = v;
            return this;
        }

        public Builder maxMessages(int v) {
            maxMessages = v;
            return this;
        }

        public Builder maxTextBytes(int v) {
            maxTextBytes = v;
            return this;
        }

        public Builder maxRequestBytes(int v) {
            maxRequestBytes = v;
            return this;
        }

        public Builder maxIdChars(int v) {
            maxIdChars = v;
            return this;
        }

        public Builder maxMetadataBytes(int v) {
            maxMetadataBytes = v;
            return this;
        }

        public Builder maxResponseBytes(int v) {
            maxResponseBytes = v;
            return this;
        }

        public Builder pauseInitialBackoff(Duration v) {
            pauseInitialBackoff = v;
            return this;
        }

        public Builder pauseMaxBackoff(Duration v) {
            pauseMaxBackoff = v;
            return this;
        }

        public Builder retryPolicy(RetryPolicy v) {
            retryPolicy = v;
            return this;
        }

        public Builder adaptive(boolean v) {
            adaptive = v;
            return this;
        }

        public Builder adaptiveAlgorithm(AdaptiveLimit.Algorithm v) {
            adaptiveAlgorithm = v;
            return this;
        }

        public Builder quotaRequestsPerSecond(double v) {
            quotaRequestsPerSecond = v;
            return this;
        }

        public Builder quotaMaxInFlight(int v) {
            quotaMaxInFlight = v;
            return this;
        }

        /** Validates and builds; throws {@link InvalidConfigurationException} naming every bad setting. */
        public EngineConfig build() {
            return new EngineConfig(
                    requestsTopic,
                    responsesTopic,
                    deadLettersTopic,
                    inputKeying,
                    maxInFlight,
                    maxPending,
                    backpressureMaxWait,
                    drainInterval,
                    attemptTimeout,
                    maxMessages,
                    maxTextBytes,
                    maxRequestBytes,
                    maxIdChars,
                    maxMetadataBytes,
                    maxResponseBytes,
                    pauseInitialBackoff,
                    pauseMaxBackoff,
                    retryPolicy,
                    adaptive,
                    adaptiveAlgorithm,
                    quotaRequestsPerSecond,
                    quotaMaxInFlight);
        }
    }
}
