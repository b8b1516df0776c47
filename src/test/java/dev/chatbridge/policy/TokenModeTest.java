package dev.chatbridge.policy;

import static dev.chatbridge.policy.RequestPolicyTest.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The on-behalf-of token mode: keys made here, a JWK Set (or PEM) file in a temporary folder, tokens signed here;
 * valid, expired, early, too long-lived, wrong audience, wrong issuer, wrong subject, forged, unsigned, HMAC-signed,
 * oversize and malformed tokens.
 */
@Timeout(30)
class TokenModeTest {

    static final String AUDIENCE = "chat-bridge-test";
    static final String HEADER = PolicyConfigDef.DEFAULT_TOKEN_HEADER;
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    static KeyPair rsa;
    static KeyPair otherRsa;
    static KeyPair ec;

    @TempDir
    static Path dir;

    static Path jwks;

    @BeforeAll
    static void keys() throws GeneralSecurityException, IOException {
        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        rsa = rsaGen.generateKeyPair();
        otherRsa = rsaGen.generateKeyPair();
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGen.generateKeyPair();
        JWKSet set = new JWKSet(List.of(
                new RSAKey.Builder((RSAPublicKey) rsa.getPublic())
                        .keyID("rsa-1")
                        .build(),
                new ECKey.Builder(Curve.P_256, (ECPublicKey) ec.getPublic())
                        .keyID("ec-1")
                        .build()));
        jwks = dir.resolve("issuers.jwks.json");
        Files.writeString(jwks, set.toString(true), StandardCharsets.UTF_8);
    }

    static RequestPolicy policy(String... extra) {
        Map<String, String> settings = new HashMap<>();
        settings.put(PolicyConfigDef.TOKEN_REQUIRED, "true");
        settings.put(PolicyConfigDef.TOKEN_KEYS_FILE, jwks.toString());
        settings.put(PolicyConfigDef.TOKEN_AUDIENCE, AUDIENCE);
        for (int i = 0; i < extra.length; i += 2) {
            settings.put(extra[i], extra[i + 1]);
        }
        return RequestPolicy.fromProperties(settings);
    }

    static JWTClaimsSet.Builder claims(String subject) {
        return new JWTClaimsSet.Builder()
                .subject(subject)
                .audience(AUDIENCE)
                .issuer("https://issuer.example.com")
                .issueTime(Date.from(NOW.minusSeconds(10)))
                .expirationTime(Date.from(NOW.plusSeconds(300)));
    }

    static String sign(JWSAlgorithm alg, String kid, JWSSigner signer, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    static String rsaToken(JWTClaimsSet claims) throws JOSEException {
        return sign(JWSAlgorithm.RS256, "rsa-1", new RSASSASigner((RSAPrivateKey) rsa.getPrivate()), claims);
    }

    static String rsaToken(String subject, Consumer<JWTClaimsSet.Builder> change) throws JOSEException {
        JWTClaimsSet.Builder b = claims(subject);
        change.accept(b);
        return rsaToken(b.build());
    }

    static Headers headers(String token) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(HEADER, token.getBytes(StandardCharsets.US_ASCII));
        return headers;
    }

    /** The denial of a request for {@code account} whose record carries {@code token}. */
    static String verdict(RequestPolicy policy, String account, String token) {
        ProducerIdentity identity = policy.identify(headers(token), NOW);
        ProducerIdentity stored = ProducerIdentity.fromStored(identity.toStored());
        assertThat(stored).isEqualTo(identity);
        String denial = policy.denial(request(account, null), stored);
        if (denial != null) {
            assertThat(denial).doesNotContain(token).doesNotContain(token.substring(token.indexOf('.') + 1));
        }
        return denial;
    }

    @Test
    void aValidTokenForTheRequestsAccountShouldPass() throws JOSEException {
        RequestPolicy policy = policy();
        assertThat(policy.tokensRequired()).isTrue();
        assertThat(policy.tokenHeader()).isEqualTo(HEADER);
        String token = rsaToken(claims("Alice@Example.com").build());
        ProducerIdentity identity = policy.identify(headers(token), NOW);
        assertThat(identity.verified()).isTrue();
        assertThat(identity.subject()).isEqualTo("Alice@Example.com");
        assertThat(identity.issuer()).isEqualTo("https://issuer.example.com");
        assertThat(identity.problem()).isNull();
        assertThat(identity.toStored()).doesNotContain(token);
        assertThat(verdict(policy, "alice@example.com", token)).isNull();
    }

    @Test
    void ecAndPssTokensShouldPass() throws JOSEException {
        RequestPolicy policy = policy();
        String es = sign(
                JWSAlgorithm.ES256,
                "ec-1",
                new ECDSASigner((ECPrivateKey) ec.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy, "a@example.com", es)).isNull();
        String ps = sign(
                JWSAlgorithm.PS256,
                null,
                new RSASSASigner((RSAPrivateKey) rsa.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy, "a@example.com", ps)).isNull();
    }

    @Test
    void anExpiredTokenShouldBeDenied() throws JOSEException {
        String token = rsaToken("a@example.com", b -> b.expirationTime(Date.from(NOW.minusSeconds(61))));
        assertThat(verdict(policy(), "a@example.com", token)).contains("expired at", "fresh token");
        String withinSkew = rsaToken("a@example.com", b -> b.expirationTime(Date.from(NOW.minusSeconds(59))));
        assertThat(verdict(policy(), "a@example.com", withinSkew)).isNull();
        assertThat(verdict(policy(PolicyConfigDef.TOKEN_CLOCK_SKEW, "0"), "a@example.com", withinSkew))
                .contains("expired");
    }

    @Test
    void aTokenWithoutExpiryOrTooLongLivedOrNotYetValidShouldBeDenied() throws JOSEException {
        assertThat(verdict(policy(), "a@example.com", rsaToken("a@example.com", b -> b.expirationTime(null))))
                .contains("no exp claim");
        assertThat(verdict(
                        policy(),
                        "a@example.com",
                        rsaToken("a@example.com", b -> b.expirationTime(Date.from(NOW.plusSeconds(7200))))))
                .contains(PolicyConfigDef.TOKEN_MAX_LIFETIME);
        assertThat(verdict(
                        policy(),
                        "a@example.com",
                        rsaToken("a@example.com", b -> b.notBeforeTime(Date.from(NOW.plusSeconds(120))))))
                .contains("not valid before");
        assertThat(verdict(
                        policy(),
                        "a@example.com",
                        rsaToken("a@example.com", b -> b.issueTime(Date.from(NOW.plusSeconds(120))))))
                .contains("issued in the future");
    }

    @Test
    void aTokenForAnotherAudienceShouldBeDenied() throws JOSEException {
        String token = rsaToken("a@example.com", b -> b.audience("another-service"));
        assertThat(verdict(policy(), "a@example.com", token))
                .contains("another audience", PolicyConfigDef.TOKEN_AUDIENCE);
        assertThat(verdict(policy(), "a@example.com", rsaToken("a@example.com", b -> b.audience((String) null))))
                .contains("another audience");
        String both = rsaToken("a@example.com", b -> b.audience(List.of("another-service", AUDIENCE)));
        assertThat(verdict(policy(), "a@example.com", both)).isNull();
    }

    @Test
    void aTokenForAnotherSubjectShouldBeDenied() throws JOSEException {
        String token = rsaToken(claims("alice@example.com").build());
        assertThat(verdict(policy(), "mallory@example.com", token))
                .contains("sub 'alice@example.com'", "'mallory@example.com'", "must equal");
        assertThat(verdict(policy(PolicyConfigDef.NO_ACCOUNT, "ALLOW"), null, token))
                .contains("no account");
        assertThat(verdict(
                        policy(),
                        "al\u0131ce@example.com",
                        rsaToken(claims("ALICE@example.com").build())))
                .contains("must equal");
    }

    @Test
    void aTokenWithoutSubjectShouldOnlyCoverRequestsWithoutAccount() throws JOSEException {
        String token = rsaToken(claims(null).build());
        assertThat(verdict(policy(), "a@example.com", token)).contains("no sub");
        assertThat(verdict(policy(), null, token)).contains(PolicyConfigDef.NO_ACCOUNT);
        assertThat(verdict(policy(PolicyConfigDef.NO_ACCOUNT, "ALLOW"), null, token))
                .isNull();
    }

    @Test
    void aForgedTokenShouldBeDenied() throws JOSEException {
        String forged = sign(
                JWSAlgorithm.RS256,
                "rsa-1",
                new RSASSASigner((RSAPrivateKey) otherRsa.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy(), "a@example.com", forged))
                .contains("signature does not verify", "forged", "kid=rsa-1");
        String unknownKid = sign(
                JWSAlgorithm.RS256,
                "rsa-2",
                new RSASSASigner((RSAPrivateKey) otherRsa.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy(), "a@example.com", unknownKid)).contains("no key", "kid=rsa-2");
        String valid = rsaToken(claims("a@example.com").build());
        String[] parts = valid.split("\\.");
        String otherClaims = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(claims("admin@example.com").build().toString().getBytes(StandardCharsets.UTF_8));
        String swapped = parts[0] + "." + otherClaims + "." + parts[2];
        assertThat(verdict(policy(), "admin@example.com", swapped)).contains("signature does not verify");
    }

    @Test
    void unsignedAndHmacTokensShouldBeRefused() throws JOSEException {
        String none = new PlainJWT(claims("a@example.com").build()).serialize();
        assertThat(verdict(policy(), "a@example.com", none)).contains("alg none");
        String hmac = sign(
                JWSAlgorithm.HS256,
                "rsa-1",
                new MACSigner(new byte[32]),
                claims("a@example.com").build());
        assertThat(verdict(policy(), "a@example.com", hmac)).contains("HS256", "HMAC", "asymmetric");
    }

    @Test
    void theIssuerListShouldBeEnforced() throws JOSEException {
        RequestPolicy policy = policy(PolicyConfigDef.TOKEN_ISSUERS, "https://trusted.example.com");
        assertThat(verdict(
                        policy,
                        "a@example.com",
                        rsaToken(claims("a@example.com").build())))
                .contains("issuer 'https://issuer.example.com'", PolicyConfigDef.TOKEN_ISSUERS);
        assertThat(verdict(
                        policy,
                        "a@example.com",
                        rsaToken("a@example.com", b -> b.issuer("https://trusted.example.com"))))
                .isNull();
    }

    @Test
    void missingDuplicateEmptyOversizeAndMalformedHeadersShouldBeDenied() throws JOSEException {
        RequestPolicy policy = policy();
        ProducerIdentity missing = policy.identify(new RecordHeaders(), NOW);
        assertThat(missing.problem()).contains("no on-behalf-of token", HEADER);
        assertThat(policy.denial(request("a@example.com", null), missing)).contains("no on-behalf-of token");
        assertThat(policy.identify(null, NOW).problem()).contains("no on-behalf-of token");
        assertThat(policy.denial(request("a@example.com", null), ProducerIdentity.NONE))
                .contains("not checked");
        assertThat(policy.denial(request("a@example.com", null), null)).contains("not checked");

        String token = rsaToken(claims("a@example.com").build());
        Headers twice = headers(token);
        twice.add(HEADER, token.getBytes(StandardCharsets.US_ASCII));
        assertThat(policy.identify(twice, NOW).problem()).contains("2 " + HEADER + " headers");

        RecordHeaders empty = new RecordHeaders();
        empty.add(HEADER, null);
        assertThat(policy.identify(empty, NOW).problem()).contains("empty");

        String huge = "a".repeat(TokenVerifier.MAX_TOKEN_BYTES) + "." + "b.c";
        assertThat(policy.identify(headers(huge), NOW).problem()).contains("more than 8192");

        for (String bad : List.of("not a token", "a.b", "a.b.c.d", "a.b.c", "e30.e30.", "....")) {
            ProducerIdentity identity = policy.identify(headers(bad), NOW);
            assertThat(identity.verified()).as(bad).isFalse();
            assertThat(identity.problem()).as(bad).isNotNull();
        }
        assertThat(policy.identify(headers("a.b.c.d.e"), NOW).problem()).contains("JWE");
    }

    @Test
    void accountRulesShouldStillApplyWithAValidToken() throws JOSEException {
        RequestPolicy policy = policy(PolicyConfigDef.ACCOUNTS_DENIED, "root@example.com");
        assertThat(verdict(
                        policy,
                        "root@example.com",
                        rsaToken(claims("root@example.com").build())))
                .contains(PolicyConfigDef.ACCOUNTS_DENIED);
    }

    @Test
    void pemPublicKeysShouldWorkLikeTheJwkSet() throws JOSEException, IOException {
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(rsa.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        Path file = dir.resolve("issuer.pem");
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
        RequestPolicy policy = policy(PolicyConfigDef.TOKEN_KEYS_FILE, file.toString());
        String noKid = sign(
                JWSAlgorithm.RS256,
                null,
                new RSASSASigner((RSAPrivateKey) rsa.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy, "a@example.com", noKid)).isNull();
        String thumbprintKid = sign(
                JWSAlgorithm.RS256,
                new RSAKey.Builder((RSAPublicKey) rsa.getPublic())
                        .build()
                        .computeThumbprint()
                        .toString(),
                new RSASSASigner((RSAPrivateKey) rsa.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy, "a@example.com", thumbprintKid)).isNull();
        String forged = sign(
                JWSAlgorithm.RS256,
                null,
                new RSASSASigner((RSAPrivateKey) otherRsa.getPrivate()),
                claims("a@example.com").build());
        assertThat(verdict(policy, "a@example.com", forged)).contains("signature does not verify");
    }
}
