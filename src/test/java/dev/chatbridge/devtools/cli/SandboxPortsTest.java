package dev.chatbridge.devtools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chatbridge.cli.CliRun;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A taken port is reported with the command-line flag that moves it, not with a Java builder method. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SandboxPortsTest {

    @Test
    void shouldNameTheKafkaPortFlagWhenTheBrokerPortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            CliRun cli = new CliRun(Map.of());

            int code = cli.execute(
                    "sandbox", "--kafka-port", String.valueOf(port), "--registry-port", "0", "--api-port", "0");

            assertThat(code).isEqualTo(1);
            assertThat(cli.err())
                    .contains("127.0.0.1:" + port, "already in use", "--kafka-port")
                    .doesNotContain("brokerPort(");
        }
    }
}
