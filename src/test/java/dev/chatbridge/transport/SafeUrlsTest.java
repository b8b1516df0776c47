package dev.chatbridge.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class SafeUrlsTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "localhost",
                "LOCALHOST",
                "127.0.0.1",
                "127.1.2.3",
                "127.255.255.255",
                "[::1]",
                "[0:0:0:0:0:0:0:1]",
                "[0000::0001]",
                "[::ffff:127.0.0.1]",
                "::1"
            })
    void shouldTakeLoopbackLiteralsAndLocalhostAsLoopback(String host) {
        assertThat(SafeUrls.isLoopbackHost(host)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "api.example.com",
                "localhost.example.com",
                "my-localhost",
                "foo.localhost",
                "128.0.0.1",
                "10.0.0.1",
                "0.0.0.0",
                "127.0.0.256",
                "127.0.0",
                "[::2]",
                "[::]",
                "[fe80::1]",
                "[::ffff:10.0.0.1]",
                "[2001:db8::1]",
                "127.0.0.1.nip.io",
                ""
            })
    void shouldTakeEveryOtherHostAsNotLoopbackWithoutResolvingIt(String host) {
        // Given names that may well resolve to 127.0.0.1: only the literal text counts
        assertThat(SafeUrls.isLoopbackHost(host)).isFalse();
        assertThat(SafeUrls.isLoopbackHost(null)).isFalse();
    }

    @Test
    void shouldHideUserInfoQueryValuesAndFragment() {
        assertThat(SafeUrls.shown("https://user:pw@host:8443/base?token=t0k&api_key=k3y&flag#frag"))
                .isEqualTo("https://[redacted]@host:8443/base?token=[redacted]&api_key=[redacted]&[redacted]"
                        + "#[redacted]");
        assertThat(SafeUrls.shown("https://host/p?sig=abc;sv=2020"))
                .isEqualTo("https://host/p?sig=[redacted];sv=[redacted]");
        assertThat(SafeUrls.shown("http://u:p/ss@host:1/x")).isEqualTo("http://[redacted]@host:1/x");
        assertThat(SafeUrls.shown("https://[::1]:8443/v1?password=x"))
                .isEqualTo("https://[::1]:8443/v1?password=[redacted]");
        assertThat(SafeUrls.shown("https://host:8443/v1")).isEqualTo("https://host:8443/v1");
        assertThat(SafeUrls.shown(null)).isNull();
    }

    @Test
    void shouldScrubEachUrlOfAListAndInFreeText() {
        assertThat(SafeUrls.scrub("http://a:pw1@r1:8081,https://b:pw2@r2:8082/x?k=v, https://r3"))
                .isEqualTo("http://[redacted]@r1:8081,https://[redacted]@r2:8082/x?k=[redacted], https://r3");
        assertThat(SafeUrls.scrub("cannot reach \"https://h/?access_token=abc\" (refused)"))
                .isEqualTo("cannot reach \"https://h/?access_token=[redacted]\" (refused)");
        assertThat(SafeUrls.scrub("no url here: a=b?c=d")).isEqualTo("no url here: a=b?c=d");
    }
}
