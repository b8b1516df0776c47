package dev.chatbridge.devtools.simulator;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of an {@link ApiSimulator}: immutable, built with {@link #builder()}, validated on {@link Builder#build()}.
 * {@link #toString()} never shows the accepted keys.
 */
public final class SimulatorConfig {

    private final String host;
    private final int port;
    private final Set<String> apiKeys;
    private final LatencyModel latency;
    private final long seed;
    private final int chunks;
    private final Duration chunkInterval;
    private final FaultRates faultRates;
    private final Duration maxStall;
    private final Duration slowDelay;
    private final Duration stallPause;
    private final int maxRecordedCalls;
    private final int maxTrackedThreads;
    private final int maxBodyBytes;
    private final List<String> refusedAccounts;
    private final int hugeAnswerBytes;
    private final int callTimings;
    private final int maxConcurrent;
    private final int maxRequestsPerSecond;
    private final int retryAfterSeconds;
    private final int queueingCapacity;
    private final int burstCalls;
    private final int burstRetryAfterSeconds;

    private SimulatorConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.apiKeys = Set.copyOf(b.apiKeys);
        this.latency = b.latency;
        this.seed = b.seed;
        this.chunks = b.chunks;
        this.chunkInterval = b.chunkInterval;
        this.faultRates = b.faultRates;
        this.maxStall = b.maxStall;
        this.slowDelay = b.slowDelay;
        this.stallPause = b.stallPause;
        this.maxRecordedCalls = b.maxRecordedCalls;
        this.maxTrackedThreads = b.maxTrackedThreads;
        this.maxBodyBytes = b.maxBodyBytes;
        this.refusedAccounts = b.refusedAccounts.stream()
                .map(a -> a.trim().toLowerCase(Locale.ROOT))
                .toList();
        this.hugeAnswerBytes = b.hugeAnswerBytes;
        this.callTimings = b.callTimings;
        this.maxConcurrent = b.maxConcurrent;
        this.maxRequestsPerSecond = b.maxRequestsPerSecond;
        this.retryAfterSeconds = b.retryAfterSeconds;
        this.queueingCapacity = b.queueingCapacity;
        this.burstCalls = b.burstCalls;
        this.burstRetryAfterSeconds = b.burstRetryAfterSeconds;
    }

    /** A builder with the defaults documented on each setter. */
    public static Builder builder() {
        return new Builder();
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    boolean accepts(String key) {
        return key != null && apiKeys.contains(key);
    }

    LatencyModel latency() {
        return latency;
    }

    long seed() {
        return seed;
    }

    int chunks() {
        return chunks;
    }

    Duration chunkInterval() {
        return chunkInterval;
    }

    FaultRates faultRates() {
        return faultRates;
    }

    Duration maxStall() {
        return maxStall;
    }

    Duration slowDelay() {
        return slowDelay;
    }

    Duration stallPause() {
        return stallPause;
    }

    int maxRecordedCalls() {
        return maxRecordedCalls;
    }

    int maxTrackedThreads() {
        return maxTrackedThreads;
    }

    int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** The refused accounts and domains, trimmed and in lower case. */
    List<String> refusedAccounts() {
        return refusedAccounts;
    }

    /**
     * True when {@code account} (an {@code unleash-account} value) is refused: it equals a refused account, or ends
     * with a refused {@code @domain}, ignoring case and surrounding blanks.
     */
    boolean refuses(String account) {
        if (account == null || account.isBlank() || refusedAccounts.isEmpty()) {
            return false;
        }
        String a = account.trim().toLowerCase(Locale.ROOT);
        for (String refused : refusedAccounts) {
            if (refused.startsWith("@") ? a.endsWith(refused) && a.length() > refused.length() : a.equals(refused)) {
                return true;
            }
        }
        return false;
    }

    int hugeAnswerBytes() {
        return hugeAnswerBytes;
    }

    int callTimings() {
        return callTimings;
    }

    int maxConcurrent() {
        return maxConcurrent;
    }

    int maxRequestsPerSecond() {
        return maxRequestsPerSecond;
    }

    int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    int queueingCapacity() {
        return queueingCapacity;
    }

    int burstCalls() {
        return burstCalls;
    }

    int burstRetryAfterSeconds() {
        return burstRetryAfterSeconds;
    }

    @Override
    public String toString() {
        return "SimulatorConfig{host=" + host + ", port=" + port + ", apiKeys=<" + apiKeys.size() + " redacted>"
                + ", latency=" + latency + ", seed=" + seed + ", chunks=" + chunks
                + ", chunkInterval=" + chunkInterval + ", faultRates=" + faultRates + ", maxStall=" + maxStall
                + ", slowDelay=" + slowDelay + ", stallPause=" + stallPause
                + ", maxRecordedCalls=" + maxRecordedCalls + ", maxTrackedThreads=" + maxTrackedThreads
                + ", maxBodyBytes=" + maxBodyBytes + ", refusedAccounts=" + refusedAccounts
                + ", hugeAnswerBytes=" + hugeAnswerBytes + ", callTimings=" + callTimings
                + ", maxConcurrent=" + maxConcurrent + ", maxRequestsPerSecond=" + maxRequestsPerSecond
                + ", retryAfterSeconds=" + retryAfterSeconds + ", queueingCapacity=" + queueingCapacity
                + ", burstCalls=" + burstCalls + ", burstRetryAfterSeconds=" + burstRetryAfterSeconds + "}";
    }

    /** Mutable builder of {@link SimulatorConfig}; not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 0;
        private List<String> apiKeys = List.of("test-key");
        private LatencyModel latency = LatencyModel.fixed(Duration.ZERO);
        private long seed = 42L;
        private int chunks = 5;
        private Duration chunkInterval = Duration.ofMillis(20);
        private FaultRates faultRates = FaultRates.NONE;
        private Duration maxStall = Duration.ofSeconds(60);
        private Duration slowDelay = Duration.ofSeconds(2);
        private Duration stallPause = Duration.ofSeconds(30);
        private int maxRecordedCalls = 10_000;
        private int maxTrackedThreads = 100_000;
        private int maxBodyBytes = 1 << 20;
        private List<String> refusedAccounts = List.of();
        private int hugeAnswerBytes = 17_300_000;
        private int callTimings;
        private int maxConcurrent;
        private int maxRequestsPerSecond;
        private int retryAfterSeconds = 1;
        private int queueingCapacity;
        private int burstCalls;
        private int burstRetryAfterSeconds = 1;

        private Builder() {}

        /** Address to bind; default {@code 127.0.0.1}. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Port to bind; default 0 (a free port). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Accepted API keys (the bearer token without {@code Bearer }); default {@code test-key}. */
        public Builder apiKeys(String... keys) {
            this.apiKeys = List.of(keys);
            return this;
        }

        /** Time to first byte; default fixed zero. */
        public Builder latency(LatencyModel latency) {
            this.latency = Objects.requireNonNull(latency, "latency");
            return this;
        }

        /** Seed of the random source for latency and fault rates; default 42. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Text chunks per answer (SSE events, at least 1); default 5. */
        public Builder chunks(int chunks) {
            this.chunks = chunks;
            return this;
        }

        /** Pause between SSE events; default 20 ms. */
        public Builder chunkInterval(Duration interval) {
            this.chunkInterval = Objects.requireNonNull(interval, "chunkInterval");
            return this;
        }

        /** Random faults; default {@link FaultRates#NONE}. */
        public Builder faultRates(FaultRates rates) {
            this.faultRates = Objects.requireNonNull(rates, "faultRates");
            return this;
        }

        /** Longest time {@code hang}, {@code slow} or {@code stall} keeps a call; default 60 s. */
        public Builder maxStall(Duration maxStall) {
            this.maxStall = Objects.requireNonNull(maxStall, "maxStall");
            return this;
        }

        /** Delay of {@code #fault:slow} without milliseconds; default 2 s. */
        public Builder slowDelay(Duration slowDelay) {
            this.slowDelay = Objects.requireNonNull(slowDelay, "slowDelay");
            return this;
        }

        /** Pause after the first event of {@code #fault:stall}; default 30 s. */
        public Builder stallPause(Duration stallPause) {
            this.stallPause = Objects.requireNonNull(stallPause, "stallPause");
            return this;
        }

        /** Calls whose sent chunks and fault attempts are remembered (oldest forgotten); default 10 000. */
        public Builder maxRecordedCalls(int max) {
            this.maxRecordedCalls = max;
            return this;
        }

        /** Threads whose turns and stats are kept (least recently used forgotten); default 100 000. */
        public Builder maxTrackedThreads(int max) {
            this.maxTrackedThreads = max;
            return this;
        }

        /** Largest accepted request body (413 beyond); default 1 MiB. */
        public Builder maxBodyBytes(int max) {
            this.maxBodyBytes = max;
            return this;
        }

        /**
         * Accounts refused on every call, whatever the text: a call whose {@code unleash-account} header equals one of
         * them, or ends with one that starts with {@code @} (a whole domain, e.g. {@code @example.com}; not its
         * subdomains), ignoring case, gets 403 problem details naming the account ({@code #fault:403-account}) before
         * its body is read. Default none.
         */
        public Builder refusedAccounts(List<String> accounts) {
            this.refusedAccounts = List.copyOf(Objects.requireNonNull(accounts, "refusedAccounts"));
            return this;
        }

        /** {@link #refusedAccounts(List)} from arguments. */
        public Builder refusedAccounts(String... accounts) {
            return refusedAccounts(List.of(accounts));
        }

        /**
         * Size of the answers of {@code #fault:huge}, {@code #fault:huge-sse} (about) and {@code #fault:huge-text} (the
         * text alone), in [1024, 1073741824]; default 17 300 000 (16.5 MiB, beyond a 16 MiB client limit).
         */
        public Builder hugeAnswerBytes(int bytes) {
            this.hugeAnswerBytes = bytes;
            return this;
        }

        /**
         * Keeps the {@link CallTiming} of up to {@code capacity} calls until {@link ApiSimulator#drainCallTimings()}
         * takes them (later ones are dropped and counted), for benchmarks; default 0 (off, nothing kept).
         */
        public Builder callTimings(int capacity) {
            this.callTimings = capacity;
            return this;
        }

        /**
         * Calls in progress at once over all callers (a deployment-wide quota), in [0, 1000000]: a call arriving when
         * that many are in progress gets 429 problem details with {@code Retry-After} ({@link #retryAfterSeconds}) at
         * once, before its body is read; default 0 (no limit).
         */
        public Builder maxConcurrent(int calls) {
            this.maxConcurrent = calls;
            return this;
        }

        /**
         * Calls admitted per second over all callers, in [0, 1000000]: a token bucket of that many tokens refilled at
         * that rate (so up to one second's worth at once after a quiet second); a call finding it empty gets 429 with
         * {@code Retry-After} at once; default 0 (no limit).
         */
        public Builder maxRequestsPerSecond(int rate) {
            this.maxRequestsPerSecond = rate;
            return this;
        }

        /**
         * The {@code Retry-After} seconds of the 429s of {@link #maxConcurrent} and {@link #maxRequestsPerSecond}, in
         * [0, 86400]; default 1.
         */
        public Builder retryAfterSeconds(int seconds) {
            this.retryAfterSeconds = seconds;
            return this;
        }

        /**
         * The calls the simulated API serves at once without slowing down, in [0, 1000000]: with more calls in
         * progress, the time to first byte grows, {@code latency * min(10, 1 + max(0, inProgress - capacity) /
         * capacity)}; default 0 (latency independent of load).
         */
        public Builder queueingCapacity(int capacity) {
            this.queueingCapacity = capacity;
            return this;
        }

        /**
         * The first {@code calls} calls that pass the key check get 429 with {@code Retry-After: retryAfterSeconds}
         * whatever the load ({@link ApiSimulator#retryAfterBurst} starts another burst later); calls in [0, 1000000],
         * seconds in [0, 86400]; default none.
         */
        public Builder retryAfterBurst(int calls, int retryAfterSeconds) {
            this.burstCalls = calls;
            this.burstRetryAfterSeconds = retryAfterSeconds;
            return this;
        }

        /** The validated configuration; throws {@link IllegalArgumentException} naming the bad setting. */
        public SimulatorConfig build() {
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
            }
            if (apiKeys.isEmpty() || apiKeys.stream().anyMatch(k -> k == null || k.isBlank())) {
                throw new IllegalArgumentException("apiKeys must hold at least one key and no blank key");
            }
            if (chunks < 1 || chunks > 1_000) {
                throw new IllegalArgumentException("chunks must be in [1, 1000], was " + chunks);
            }
            requireNotNegative(chunkInterval, "chunkInterval");
            requirePositive(maxStall, "maxStall");
            requireNotNegative(slowDelay, "slowDelay");
            requireNotNegative(stallPause, "stallPause");
            if (slowDelay.compareTo(maxStall) > 0 || stallPause.compareTo(maxStall) > 0) {
                throw new IllegalArgumentException("slowDelay (" + slowDelay + ") and stallPause (" + stallPause
                        + ") must not exceed maxStall (" + maxStall + "): raise maxStall or lower them");
            }
            if (maxRecordedCalls < 1 || maxTrackedThreads < 1 || maxBodyBytes < 1) {
                throw new IllegalArgumentException("maxRecordedCalls, maxTrackedThreads and maxBodyBytes must be"
                        + " at least 1, were " + maxRecordedCalls + ", " + maxTrackedThreads + ", " + maxBodyBytes);
            }
            for (String account : refusedAccounts) {
                if (account == null
                        || account.isBlank()
                        || account.trim().equals("@")
                        || account.trim().chars().anyMatch(Character::isWhitespace)) {
                    throw new IllegalArgumentException("refusedAccounts must hold accounts (alice@example.com) or"
                            + " domains (@example.com) without blanks, found '" + account + "'");
                }
            }
            if (hugeAnswerBytes < 1_024 || hugeAnswerBytes > 1 << 30) {
                throw new IllegalArgumentException(
                        "hugeAnswerBytes must be in [1024, 1073741824], was " + hugeAnswerBytes);
            }
            if (callTimings < 0 || callTimings > 10_000_000) {
                throw new IllegalArgumentException("callTimings must be in [0, 10000000], was " + callTimings);
            }
            requireIn(maxConcurrent, 0, 1_000_000, "maxConcurrent");
            requireIn(maxRequestsPerSecond, 0, 1_000_000, "maxRequestsPerSecond");
            requireIn(retryAfterSeconds, 0, 86_400, "retryAfterSeconds");
            requireIn(queueingCapacity, 0, 1_000_000, "queueingCapacity");
            requireIn(burstCalls, 0, 1_000_000, "retryAfterBurst calls");
            requireIn(burstRetryAfterSeconds, 0, 86_400, "retryAfterBurst seconds");
            return new SimulatorConfig(this);
        }

        private static void requireIn(int value, int min, int max, String name) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
            }
        }

        private static void requireNotNegative(Duration d, String name) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, was " + d);
            }
        }

        private static void requirePositive(Duration d, String name) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
        }
    }
}
