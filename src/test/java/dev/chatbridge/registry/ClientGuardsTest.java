package dev.chatbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The outage gate and the lookup rate bound, on a clock the test moves. */
class ClientGuardsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void shouldDoubleTheOutagePauseUpToItsCapAndLetOneProbeThrough() {
        OutageGate gate = new OutageGate(Duration.ofSeconds(1), Duration.ofSeconds(3), now::get);
        SchemaRegistryException down = new SchemaRegistryException("down", 503, 50003);

        assertThat(gate.enter("a")).as("no outage: not a probe").isFalse();
        gate.failed(down);
        assertThat(gate.open()).isFalse();
        assertThatThrownBy(() -> gate.enter("b"))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("next probe in 1000 ms")
                .hasMessageContaining("down");

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(gate.open()).isTrue();
        assertThat(gate.enter("probe")).isTrue();
        assertThatThrownBy(() -> gate.enter("c")).hasMessageContaining("a probe call is under way");
        gate.failed(down);
        assertThatThrownBy(() -> gate.enter("d")).hasMessageContaining("next probe in 2000 ms");

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        gate.enter("probe");
        gate.failed(down);
        assertThatThrownBy(() -> gate.enter("e")).hasMessageContaining("next probe in 3000 ms");

        now.addAndGet(Duration.ofSeconds(3).toNanos());
        gate.enter("probe");
        gate.answered();
        assertThat(gate.open()).isTrue();
        assertThat(gate.enter("f")).isFalse();
    }

    @Test
    void shouldFreeTheProbeWhenItsCallIsWithdrawn() {
        OutageGate gate = new OutageGate(Duration.ZERO, Duration.ZERO, now::get);
        gate.failed(new SchemaRegistryException("down", 0, SchemaRegistryException.NO_ERROR_CODE));

        assertThat(gate.enter("probe")).isTrue();
        gate.withdraw(true);

        assertThat(gate.enter("probe again")).isTrue();
    }

    @Test
    void shouldWaitForATokenUpToTheBoundAndRefuseBeyondIt() {
        LookupRate rate = new LookupRate(2, Duration.ofSeconds(1), now::get);

        assertThat(rate.reserve()).as("burst").isZero();
        assertThat(rate.reserve()).as("burst").isZero();
        assertThat(rate.reserve()).as("next token in half a second").isEqualTo(500_000_000L);
        assertThat(rate.reserve()).as("the one after").isEqualTo(1_000_000_000L);
        assertThat(rate.reserve()).as("would wait 1.5 s").isEqualTo(-1);
        assertThatThrownBy(() -> rate.acquire("GET /schemas/ids/9"))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining(RegistryClientConfig.ID_LOOKUPS_PER_SECOND)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).isUnavailable())
                        .isTrue());

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(rate.reserve()).as("refilled").isZero();
    }

    @Test
    void shouldClassifyRegistryAnswers() {
        for (int status : new int[] {0, 401, 403, 408, 429, 500, 503}) {
            assertThat(new SchemaRegistryException("x", status, -1).isUnavailable())
                    .as("status %d", status)
                    .isTrue();
        }
        assertThat(new SchemaRegistryException("x", 404, 40403).isNotFound()).isTrue();
        assertThat(new SchemaRegistryException("x", 404, -1).isNotFound()).isTrue();
        assertThat(new SchemaRegistryException("x", 422, 42201).isUnavailable()).isFalse();
        assertThat(new SchemaRegistryException("x", 200, SchemaRegistryException.ANSWER_TOO_LARGE).isUnavailable())
                .isFalse();
    }
}
