package dev.chatbridge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stored form of {@link ProducerIdentity}: round trips, and fails closed on anything else. */
@Timeout(10)
class ProducerIdentityTest {

    @Test
    void shouldRoundTripEveryShape() {
        for (ProducerIdentity identity : List.of(
                ProducerIdentity.NONE,
                ProducerIdentity.verified("alice@example.com", "https://issuer.example.com"),
                ProducerIdentity.verified(null, null),
                ProducerIdentity.verified("odd%0A\nsub%", "-"),
                ProducerIdentity.invalid("the token expired at 2026-01-01T00:00:00Z\nsecond line 100%"))) {
            String stored = identity.toStored();
            assertThat(stored).startsWith("1\n");
            assertThat(ProducerIdentity.fromStored(stored)).isEqualTo(identity);
        }
        assertThat(ProducerIdentity.NONE.toStored()).hasSizeLessThan(16);
    }

    @Test
    void shouldReadNothingAsNone() {
        assertThat(ProducerIdentity.fromStored(null)).isEqualTo(ProducerIdentity.NONE);
        assertThat(ProducerIdentity.fromStored("")).isEqualTo(ProducerIdentity.NONE);
    }

    @Test
    void shouldFailClosedOnUnreadableForms() {
        for (String bad : List.of(
                "2\n1\n+a\n-\n-",
                "1\n1\n+a\n-",
                "1\n1\nxa\n-\n-",
                "1\n2\n-\n-\n-",
                "1\n1\n+a%zz\n-\n-",
                "1\n1\n-\n-\n+problem",
                "garbage",
                "1\n1\n+" + "a".repeat(5000) + "\n-\n-")) {
            ProducerIdentity read = ProducerIdentity.fromStored(bad);
            assertThat(read.verified()).as(bad).isFalse();
            assertThat(read.problem()).as(bad).contains("stored producer identity");
        }
    }
}
