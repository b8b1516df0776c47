package dev.chatbridge.engine;

import static dev.chatbridge.engine.EngineDriver.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chatbridge.api.RetryPolicy;
import dev.chatbridge.engine.FakeChatApi.Behaviour;
import dev.chatbridge.events.ChatRequest;
import dev.chatbridge.events.DeadLetterReason;
import dev.chatbridge.policy.PolicyConfigDef;
import dev.chatbridge.policy.RequestPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The request policy inside the engine: denied requests become dead letters without a call, in conversation order. */
@Timeout(60)
class PolicyEnforcementTest {

    @TempDir
    Path stateDir;

    @TempDir
    Path keysDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private EngineDriver driver(FakeChatApi api, RequestPolicy policy) {
        toClose.add(api);
        EngineDriver d = new EngineDriver(
                EngineConfig.builder()
                        .retryPolicy(new RetryPolicy(
                                3,
                                Duration.ofMillis(5),
                                Duration.ofMillis(20),
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(10),
                                new Random(1)))
                        .build(),
                api,
                stateDir,
                true);
        d.resources.usePolicy(policy);
        toClose.add(d);
        return d;
    }

    private static ChatRequest as(String account, ChatRequest request) {
        return ChatRequest.newBuilder(request).setAccount(account).build();
    }

    @Test
    void shouldDeadLetterADeniedAccountWithoutACallAndKeepItsConversationInOrder() {
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(
                api, RequestPolicy.fromProperties(Map.of(PolicyConfigDef.ACCOUNTS_DENIED, "@admin.example.com")));

        d.send(as("ann@example.com", request("t1-a", "t1", "first")));
        d.send(as("root@admin.example.com", request("t1-b", "t1", "second")));
        d.send(as("ann@example.com", request("t1-c", "t1", "third")));
        d.send(as("bob@example.com", request("t2-a", "t2", "other")));
        d.awaitOutcomes(4);

        assertThat(api.calls()).as("no call for the denied request").containsExactlyInAnyOrder("t1-a", "t1-c", "t2-a");
        assertThat(d.deadLetters).singleElement().satisfies(e -> {
            assertThat(e.getKey()).isEqualTo("t1");
            assertThat(e.getValue().getRequestId()).isEqualTo("t1-b");
            assertThat(e.getValue().getReason()).isEqualTo(DeadLetterReason.IMPERSONATION_DENIED);
            assertThat(e.getValue().getAttempts()).isZero();
            assertThat(e.getValue().getMessage()).contains("request policy", "@admin.example.com");
            assertThat(e.getValue().getRequest()).isNotNull();
        });
        List<String> t1 = new ArrayList<>();
        d.responses.stream()
                .filter(e -> e.getKey().equals("t1"))
                .forEach(e -> t1.add(e.getValue().getRequestId()));
        assertThat(t1).containsExactly("t1-a", "t1-c");
    }

    @Test
    void shouldDenyAtDispatchWhatWasAcceptedBeforeThePolicyWasTightened() {
        FakeChatApi api = new FakeChatApi((r, attempt) -> Behaviour.hold(FakeChatApi.success("ok")));
        EngineDriver d = driver(api, RequestPolicy.permitAll());
        d.send(as("ann@example.com", request("t1-a", "t1", "first")));
        d.send(as("root@admin.example.com", request("t1-b", "t1", "second")));
        d.awaitUntil(() -> api.held().equals(List.of("t1-a")));

        // the operator denies the account while the second request waits behind the first
        d.resources.usePolicy(
                RequestPolicy.fromProperties(Map.of(PolicyConfigDef.ACCOUNTS_DENIED, "root@admin.example.com")));
        api.release("t1-a");
        d.awaitOutcomes(2);

        assertThat(api.calls()).containsExactly("t1-a");
        assertThat(d.deadLetters)
                .singleElement()
                .satisfies(e -> assertThat(e.getValue().getReason()).isEqualTo(DeadLetterReason.IMPERSONATION_DENIED));
    }

    @Test
    void shouldCallOnlyWithAValidTokenForTheAccountAndAuditTheProducer() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair key = generator.generateKeyPair();
        Path jwks = keysDir.resolve("producers.jwks.json");
        Files.writeString(
                jwks,
                new JWKSet(new RSAKey.Builder((RSAPublicKey) key.getPublic())
                                .keyID("p1")
                                .build())
                        .toString(true),
                StandardCharsets.UTF_8);
        FakeChatApi api = FakeChatApi.echo(Duration.ofMillis(1));
        EngineDriver d = driver(
                api,
                RequestPolicy.fromProperties(Map.of(
                        PolicyConfigDef.TOKEN_REQUIRED, "true",
                        PolicyConfigDef.TOKEN_KEYS_FILE, jwks.toString(),
                        PolicyConfigDef.TOKEN_AUDIENCE, "chat-bridge")));
        List<AuditEvent> audit = new CopyOnWriteArrayList<>();
        d.resources.auditTo(audit::add);

        d.send(as("ann@example.com", request("ok", "t1", "hi")), token(key, "ann@example.com"));
        d.send(as("bob@example.com", request("other-subject", "t2", "hi")), token(key, "ann@example.com"));
        d.send(as("ann@example.com", request("no-token", "t3", "hi")), null);
        d.awaitOutcomes(3);

        assertThat(api.calls()).containsExactly("ok");
        assertThat(d.deadLetters)
                .extracting(e -> e.getValue().getRequestId())
                .containsExactlyInAnyOrder("other-subject", "no-token");
        assertThat(d.deadLetters)
                .allSatisfy(e -> assertThat(e.getValue().getReason()).isEqualTo(DeadLetterReason.IMPERSONATION_DENIED));
        assertThat(audit)
                .filteredOn(e -> e.kind().equals("call"))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.requestId()).isEqualTo("ok");
                    assertThat(e.producer()).isEqualTo("https://idp.example.com/ann@example.com");
                    assertThat(e.account()).isEqualTo("ann@example.com");
                });
    }

    private static RecordHeaders token(KeyPair key, String subject) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(subject)
                .audience("chat-bridge")
                .issuer("https://idp.example.com")
                .issueTime(Date.from(Instant.now().minusSeconds(5)))
                .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                .build();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .keyID("p1")
                        .type(JOSEObjectType.JWT)
                        .build(),
                claims);
        jwt.sign(new RSASSASigner((RSAPrivateKey) key.getPrivate()));
        RecordHeaders headers = new RecordHeaders();
        headers.add(PolicyConfigDef.DEFAULT_TOKEN_HEADER, jwt.serialize().getBytes(StandardCharsets.US_ASCII));
        return headers;
    }
}
