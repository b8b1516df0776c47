package dev.chatbridge.policy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the token issuers' public keys from one file, once, at start: a JWK Set (JSON, RFC 7517) or PEM blocks
 * ({@code PUBLIC KEY} or {@code CERTIFICATE}). Only keys for asymmetric signature algorithms are accepted: RSA of at
 * least {@link #MIN_RSA_BITS} bits and EC on P-256, P-384 or P-521. Private keys, symmetric (HMAC) keys, other key
 * types and encryption-only keys are refused with a message naming the file and the fix, so a mistake shows at start
 * rather than as every request denied. PEM keys have no {@code kid}; they get their RFC 7638 thumbprint as one.
 */
final class TokenKeys {

    /** Smallest RSA modulus accepted. */
    static final int MIN_RSA_BITS = 2048;
    /** Largest keys file read. */
    static final long MAX_FILE_BYTES = 1024 * 1024;
    /** Most keys one file may hold (bounds the work per token without kid). */
    static final int MAX_KEYS = 100;

    private static final Set<Curve> CURVES = Set.of(Curve.P_256, Curve.P_384, Curve.P_521);
    private static final Pattern PEM =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    private TokenKeys() {}

    /** The public keys in {@code file}, or null after adding a problem that names {@code setting}. */
    static List<JWK> load(String setting, Path file, List<String> problems) {
        String where = setting + "=" + file;
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                problems.add(where + " is " + size + " bytes, more than " + MAX_FILE_BYTES
                        + ": it should hold public keys only");
                return null;
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            problems.add(where + " cannot be read (" + e.getClass().getSimpleName()
                    + "): make it a readable file holding a JWK Set or PEM public keys");
            return null;
        }
        List<JWK> keys = text.stripLeading().startsWith("{")
                ? fromJwkSet(where, text, problems)
                : fromPem(where, text, problems);
        if (keys == null) {
            return null;
        }
        if (keys.isEmpty()) {
            problems.add(where + " holds no key: add the issuers' public keys (a JWK Set {\"keys\":[...]} or "
                    + "PEM PUBLIC KEY blocks)");
            return null;
        }
        if (keys.size() > MAX_KEYS) {
            problems.add(where + " holds " + keys.size() + " keys, more than " + MAX_KEYS
                    + ": keep only the keys of current issuers");
            return null;
        }
        int before = problems.size();
        for (JWK key : keys) {
            check(where, key, problems);
        }
        return problems.size() == before ? List.copyOf(keys) : null;
    }

    private static List<JWK> fromJwkSet(String where, String text, List<String> problems) {
        try {
            return JWKSet.parse(text).getKeys();
        } catch (ParseException | RuntimeException e) {
            problems.add(where + " is not a valid JWK Set (" + LogText.safe(e.getMessage(), 200)
                    + "): it must be a JSON object {\"keys\":[...]} of public JWKs");
            return null;
        }
    }

    private static List<JWK> fromPem(String where, String text, List<String> problems) {
        List<JWK> keys = new ArrayList<>();
        int before = problems.size();
        Matcher m = PEM.matcher(text);
        int index = 0;
        while (m.find()) {
            index++;
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                problems.add(where + ": PEM block " + index + " is not valid base64");
                continue;
            }
            try {
                PublicKey key;
                if ("PUBLIC KEY".equals(type)) {
                    key = publicKey(der);
                } else if ("CERTIFICATE".equals(type)) {
                    key = ((X509Certificate) CertificateFactory.getInstance("X.509")
                                    .generateCertificate(new ByteArrayInputStream(der)))
                            .getPublicKey();
                } else {
                    problems.add(where + ": PEM block " + index + " is a " + type + "; only PUBLIC KEY and "
                            + "CERTIFICATE blocks are accepted (never put private keys here)");
                    continue;
                }
                keys.add(toJwk(key));
            } catch (GeneralSecurityException | JOSEException | RuntimeException e) {
                problems.add(where + ": PEM block " + index + " (" + type + ") is not an RSA or EC public key ("
                        + LogText.safe(e.getMessage(), 200) + ")");
            }
        }
        if (index == 0 && !text.isBlank()) {
            problems.add(where + " is neither a JWK Set (JSON) nor PEM: it must hold {\"keys\":[...]} or "
                    + "-----BEGIN PUBLIC KEY----- blocks");
            return null;
        }
        return problems.size() == before ? keys : null;
    }

    private static PublicKey publicKey(byte[] der) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            return KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException e) {
            return KeyFactory.getInstance("EC").generatePublic(spec);
        }
    }

    private static JWK toJwk(PublicKey key) throws JOSEException {
        if (key instanceof RSAPublicKey) {
            RSAKey jwk = new RSAKey.Builder((RSAPublicKey) key)
                    .keyUse(KeyUse.SIGNATURE)
                    .build();
            return new RSAKey.Builder(jwk)
                    .keyID(jwk.computeThumbprint().toString())
                    .build();
        }
        if (key instanceof ECPublicKey) {
            ECPublicKey ec = (ECPublicKey) key;
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            if (curve == null) {
                throw new JOSEException("unknown curve");
            }
            ECKey jwk = new ECKey.Builder(curve, ec).keyUse(KeyUse.SIGNATURE).build();
            return new ECKey.Builder(jwk)
                    .keyID(jwk.computeThumbprint().toString())
                    .build();
        }
        throw new JOSEException("a " + key.getAlgorithm() + " key");
    }

    private static void check(String where, JWK key, List<String> problems) {
        String name = "key" + (key.getKeyID() == null ? " without kid" : " kid=" + LogText.safe(key.getKeyID(), 64));
        if (!(key instanceof RSAKey) && !(key instanceof ECKey)) {
            problems.add(where + ": " + name + " is of type " + key.getKeyType() + "; only RSA and EC public keys "
                    + "are accepted (a symmetric HMAC key would let anyone who holds it forge tokens)");
        } else if (key.isPrivate()) {
            problems.add(where + ": " + name + " holds private key material; publish only the public part "
                    + "(a private key never belongs on the service)");
        } else if (key instanceof RSAKey) {
            if (key.size() < MIN_RSA_BITS) {
                problems.add(where + ": " + name + " is an RSA key of " + key.size() + " bits; use at least "
                        + MIN_RSA_BITS);
            }
        } else if (!CURVES.contains(((ECKey) key).getCurve())) {
            problems.add(where + ": " + name + " is on curve " + ((ECKey) key).getCurve()
                    + "; only P-256, P-384 and P-521 are accepted");
        }
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            problems.add(where + ": " + name + " has use=" + key.getKeyUse().identifier() + "; signature keys "
                    + "(use=sig or no use) only");
        }
    }
}
