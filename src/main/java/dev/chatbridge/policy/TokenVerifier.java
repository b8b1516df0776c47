package dev.chatbridge.policy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Verifies the on-behalf-of token of one record: a compact JWS in one Kafka header, signed with an asymmetric algorithm
 * (RS, PS or ES family) by a key of the configured keys file, for the configured audience, within its validity (exp
 * required; nbf and iat honoured, with a bounded clock skew), no longer-lived than
 * {@link PolicyConfigDef#TOKEN_MAX_LIFETIME}, and from an allowed issuer. The header's size is bounded before anything
 * is parsed; the signature is checked before any claim is read. No network I/O: keys come from the file read at start.
 *
 * <p>Every failure is a {@link ProducerIdentity} whose problem says what is wrong and never contains the token.
 * Immutable and thread-safe.
 */
final class TokenVerifier {

    /** Largest header value read; compact JWS on-behalf-of tokens are well below 2 KiB. */
    static final int MAX_TOKEN_BYTES = 8 * 1024;

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256,
            JWSAlgorithm.RS384,
            JWSAlgorithm.RS512,
            JWSAlgorithm.PS256,
            JWSAlgorithm.PS384,
            JWSAlgorithm.PS512,
            JWSAlgorithm.ES256,
            JWSAlgorithm.ES384,
            JWSAlgorithm.ES512);
    private static final Map<JWSAlgorithm, Curve> EC_CURVES =
            Map.of(JWSAlgorithm.ES256, Curve.P_256, JWSAlgorithm.ES384, Curve.P_384, JWSAlgorithm.ES512, Curve.P_521);

    private final String header;
    private final List<JWK> keys;
    private final String audience;
    private final Set<String> issuers;
    private final Duration skew;
    private final Duration maxLifetime;

    TokenVerifier(
            String header, List<JWK> keys, String audience, Set<String> issuers, Duration skew, Duration maxLifetime) {
        this.header = header;
        this.keys = List.copyOf(keys);
        this.audience = audience;
        this.issuers = Set.copyOf(issuers);
        this.skew = skew;
        this.maxLifetime = maxLifetime;
    }

    String header() {
        return header;
    }

    /** The identity the record's token proves, or why it proves none. Never throws. */
    ProducerIdentity identify(Headers headers, Instant now) {
        try {
            return verify(headers, now);
        } catch (RuntimeException e) {
            return ProducerIdentity.invalid("the token in header " + header + " could not be checked ("
                    + e.getClass().getSimpleName() + "); send a well-formed compact JWS");
        }
    }

    private ProducerIdentity verify(Headers headers, Instant now) {
        byte[] value = null;
        int count = 0;
        if (headers != null) {
            for (Header h : headers.headers(header)) {
                count++;
                value = h.value();
            }
        }
        if (count == 0) {
            return ProducerIdentity.invalid("no on-behalf-of token: " + PolicyConfigDef.TOKEN_REQUIRED
                    + " is true and the record has no " + header + " header; the producer must send a JWS signed "
                    + "by its issuer for this request's account");
        }
        if (count > 1) {
            return ProducerIdentity.invalid("the record has " + count + " " + header + " headers; send exactly one");
        }
        if (value == null || value.length == 0) {
            return ProducerIdentity.invalid("the " + header + " header is empty; it must hold a compact JWS");
        }
        if (value.length > MAX_TOKEN_BYTES) {
            return ProducerIdentity.invalid("the " + header + " header is " + value.length + " bytes, more than "
                    + MAX_TOKEN_BYTES + "; an on-behalf-of token is a small compact JWS");
        }
        int dots = 0;
        for (byte b : value) {
            if (b == '.') {
                dots++;
            } else if (!isBase64Url(b)) {
                return ProducerIdentity.invalid("the " + header + " header is not a compact JWS (it has characters "
                        + "outside base64url and '.')");
            }
        }
        if (dots == 4) {
            return ProducerIdentity.invalid(
                    "the " + header + " header holds an encrypted token (JWE); send a " + "signed compact JWS");
        }
        if (dots != 2) {
            return ProducerIdentity.invalid("the " + header + " header is not a compact JWS (three base64url parts "
                    + "separated by '.' expected)");
        }
        JWT jwt;
        try {
            jwt = JWTParser.parse(new String(value, StandardCharsets.US_ASCII));
        } catch (ParseException e) {
            return ProducerIdentity.invalid("the " + header + " header is not a valid JWS (its header or claims are "
                    + "not base64url-encoded JSON objects)");
        }
        if (jwt instanceof PlainJWT) {
            return ProducerIdentity.invalid("the token is unsigned (alg none); only tokens signed with RS, PS or ES "
                    + "algorithms are accepted");
        }
        if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT)) {
            return ProducerIdentity.invalid("the token is not a signed JWS; send a compact JWS");
        }
        SignedJWT signed = (SignedJWT) jwt;
        JWSHeader jws = signed.getHeader();
        JWSAlgorithm alg = jws.getAlgorithm();
        if (!ALGORITHMS.contains(alg)) {
            String name = LogText.safe(alg.getName(), 20);
            return ProducerIdentity.invalid(
                    JWSAlgorithm.Family.HMAC_SHA.contains(alg)
                            ? "the token is signed with " + name
                                    + " (HMAC, a shared secret); only asymmetric algorithms "
                                    + "(RS256/384/512, PS256/384/512, ES256/384/512) are accepted"
                            : "the token's algorithm " + name + " is not accepted; use RS256/384/512, PS256/384/512 or "
                                    + "ES256/384/512");
        }
        if (jws.getCriticalParams() != null && !jws.getCriticalParams().isEmpty()) {
            return ProducerIdentity.invalid("the token has critical header parameters (crit), which are not "
                    + "supported; send a token without crit");
        }
        List<JWK> candidates = candidates(jws);
        String kid = jws.getKeyID() == null ? "no kid" : "kid=" + LogText.safe(jws.getKeyID(), 64);
        if (candidates.isEmpty()) {
            return ProducerIdentity.invalid("no key in " + PolicyConfigDef.TOKEN_KEYS_FILE + " fits the token ("
                    + alg.getName() + ", " + kid + "); add the issuer's public key or fix the token's kid");
        }
        if (!verifiesWithAny(signed, candidates)) {
            return ProducerIdentity.invalid("the token's signature does not verify with any key of "
                    + PolicyConfigDef.TOKEN_KEYS_FILE + " (" + alg.getName() + ", " + kid
                    + "): it is forged or signed by a key the service does not trust");
        }
        JWTClaimsSet claims;
        try {
            claims = signed.getJWTClaimsSet();
        } catch (ParseException e) {
            return ProducerIdentity.invalid("the token's claims are not a valid JWT claims set");
        }
        String problem = claimsProblem(claims, now);
        if (problem != null) {
            return ProducerIdentity.invalid(problem);
        }
        return ProducerIdentity.verified(claims.getSubject(), claims.getIssuer());
    }

    private String claimsProblem(JWTClaimsSet claims, Instant now) {
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return "the token has no exp claim; on-behalf-of tokens must expire";
        }
        Instant expires = exp.toInstant();
        if (now.isAfter(expires.plus(skew))) {
            return "the token expired at " + expires + " (now " + now + ", clock skew " + skew.toMillis()
                    + " ms); the producer must send a fresh token";
        }
        if (expires.isAfter(now.plus(maxLifetime).plus(skew))) {
            return "the token expires at " + expires + ", more than " + PolicyConfigDef.TOKEN_MAX_LIFETIME + "="
                    + maxLifetime.toMillis() + " from now (" + now + "); issue shorter-lived tokens";
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().isAfter(now.plus(skew))) {
            return "the token is not valid before " + nbf.toInstant() + " (now " + now + ", clock skew "
                    + skew.toMillis() + " ms)";
        }
        Date iat = claims.getIssueTime();
        if (iat != null && iat.toInstant().isAfter(now.plus(skew))) {
            return "the token was issued in the future (iat " + iat.toInstant() + ", now " + now
                    + "); check the issuer's clock";
        }
        List<String> aud = claims.getAudience();
        if (aud == null || !aud.contains(audience)) {
            return "the token is for another audience: its aud does not include '" + LogText.safe(audience, 120) + "' ("
                    + PolicyConfigDef.TOKEN_AUDIENCE + "); the issuer must mint it for this service";
        }
        String iss = claims.getIssuer();
        if (!issuers.isEmpty() && (iss == null || !issuers.contains(iss))) {
            return "the token's issuer " + (iss == null ? "(none)" : "'" + LogText.safe(iss, 120) + "'") + " is not in "
                    + PolicyConfigDef.TOKEN_ISSUERS;
        }
        String sub = claims.getSubject();
        if (sub != null && (sub.isEmpty() || sub.length() > AccountRules.MAX_ACCOUNT_CHARS)) {
            return "the token's sub is empty or longer than " + AccountRules.MAX_ACCOUNT_CHARS
                    + " characters; it must be the account the request acts as";
        }
        return null;
    }

    private List<JWK> candidates(JWSHeader jws) {
        JWSAlgorithm alg = jws.getAlgorithm();
        String kid = jws.getKeyID();
        List<JWK> fit = new ArrayList<>();
        for (JWK key : keys) {
            boolean typeFits = EC_CURVES.containsKey(alg)
                    ? key instanceof ECKey && EC_CURVES.get(alg).equals(((ECKey) key).getCurve())
                    : key instanceof RSAKey;
            boolean algFits = key.getAlgorithm() == null || key.getAlgorithm().equals(alg);
            boolean kidFits = kid == null || kid.equals(key.getKeyID());
            if (typeFits && algFits && kidFits) {
                fit.add(key);
            }
        }
        return fit;
    }

    private static boolean verifiesWithAny(SignedJWT signed, List<JWK> candidates) {
        for (JWK key : candidates) {
            try {
                JWSVerifier verifier =
                        key instanceof ECKey ? new ECDSAVerifier((ECKey) key) : new RSASSAVerifier((RSAKey) key);
                if (signed.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException | IllegalStateException e) {
                // this key cannot verify this token; try the next
            }
        }
        return false;
    }

    private static boolean isBase64Url(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_';
    }
}
