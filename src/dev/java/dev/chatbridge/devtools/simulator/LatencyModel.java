package dev.chatbridge.devtools.simulator;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long the simulated API takes to send the first byte of an answer.
 *
 * <p>{@link #fixed(Duration)} always gives the same delay; {@link #logNormal(Duration, Duration)} draws from a
 * log-normal distribution fitted to a median and a 99th percentile, the usual shape of LLM answer latency: {@code mu =
 * ln(p50)}, {@code sigma = (ln(p99) - ln(p50)) / 2.3263} (2.3263 is the standard normal quantile at 0.99). Samples are
 * capped at {@code 10 * p99} so that one unlucky draw cannot stall a benchmark.
 *
 * <p>Immutable; thread-safe when the random source passed to {@link #sample} is.
 */
public sealed interface LatencyModel permits LatencyModel.Fixed, LatencyModel.LogNormal {

    /** The next delay, drawn from {@code random}. */
    Duration sample(RandomGenerator random);

    /** Always {@code delay}. */
    static LatencyModel fixed(Duration delay) {
        return new Fixed(delay);
    }

    /** Log-normal with the given median and 99th percentile ({@code p99 >= p50 > 0}). */
    static LatencyModel logNormal(Duration p50, Duration p99) {
        return new LogNormal(p50, p99);
    }

    /** A constant delay (zero allowed). */
    record Fixed(Duration delay) implements LatencyModel {
        public Fixed {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("fixed latency must not be negative, was " + delay);
            }
        }

        @Override
        public Duration sample(RandomGenerator random) {
            return delay;
        }
    }

    /** A log-normal delay fitted to a median and a 99th percentile. */
    record LogNormal(Duration p50, Duration p99) implements LatencyModel {
        /** The standard normal quantile at 0.99. */
        static final double Z_99 = 2.3263;

        public LogNormal {
            Objects.requireNonNull(p50, "p50");
            Objects.requireNonNull(p99, "p99");
            if (p50.isNegative() || p50.isZero()) {
                throw new IllegalArgumentException("log-normal p50 must be positive, was " + p50);
            }
            if (p99.compareTo(p50) < 0) {
                throw new IllegalArgumentException("log-normal p99 (" + p99 + ") must be at least p50 (" + p50 + ")");
            }
        }

        /** The mean of the underlying normal, in ln(nanoseconds). */
        double mu() {
            return Math.log(p50.toNanos());
        }

        /** The standard deviation of the underlying normal. */
        double sigma() {
            return (Math.log(p99.toNanos()) - Math.log(p50.toNanos())) / Z_99;
        }

        @Override
        public Duration sample(RandomGenerator random) {
            double nanos = Math.exp(mu() + sigma() * random.nextGaussian());
            double cap = 10.0 * p99.toNanos();
            return Duration.ofNanos((long) Math.min(nanos, cap));
        }
    }
}
