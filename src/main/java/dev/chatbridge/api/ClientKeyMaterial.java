package dev.chatbridge.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The client certificate chain and private key for mutual TLS with the API, read once from PEM files when the config is
 * built, so that an unreadable file, a wrong password or a key that does not belong to the certificate stops the
 * service at start instead of failing every call.
 *
 * <p>Accepted: certificates as PEM {@code CERTIFICATE} blocks (leaf first, then its intermediates); the key as PKCS#8,
 * either {@code PRIVATE KEY} or {@code ENCRYPTED PRIVATE KEY} (PBES2, as written by {@code openssl pkcs8 -topk8}) with
 * a password. Messages name the file and the fix, never the password or key bytes. Immutable; {@link #toString()} shows
 * no key.
 */
final class ClientKeyMaterial {

    /** Larger files are not PEM certificates or keys; the bound keeps a wrong path from reading a disk image. */
    private static final long MAX_FILE_BYTES = 1024 * 1024;

    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    private final PrivateKey key;
    private final List<X509Certificate> chain;

    private ClientKeyMaterial(PrivateKey key, List<X509Certificate> chain) {
        this.key = key;
        this.chain = List.copyOf(chain);
    }

    /**
     * Reads and checks the files.
     *
     * @param password the key's password, or null for an unencrypted key
     * @throws IllegalArgumentException naming the file, what is wrong and the fix
     */
    static ClientKeyMaterial load(Path certificateFile, Path keyFile, String password) {
        List<X509Certificate> chain = certificates(certificateFile);
        PrivateKey key =
                privateKey(keyFile, password, chain.get(0).getPublicKey().getAlgorithm());
        requireMatch(key, chain.get(0), certificateFile, keyFile);
        return new ClientKeyMaterial(key, chain);
    }

    /** The private key. A secret: never log it. */
    PrivateKey key() {
        return key;
    }

    /** The certificate chain, leaf first. */
    List<X509Certificate> chain() {
        return chain;
    }

    /** The leaf certificate's subject, for messages. */
    String subject() {
        return chain.get(0).getSubjectX500Principal().getName();
    }

    @Override
    public String toString() {
        return "ClientKeyMaterial[subject=" + subject() + ", chain=" + chain.size() + ", key=redacted]";
    }

    private static List<X509Certificate> certificates(Path file) {
        String text = read(file, "client certificate");
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException("the client certificate file " + file + " holds no PEM CERTIFICATE "
                    + "block: give the certificate chain in PEM (for example keytool -exportcert -rfc, or "
                    + "openssl x509 -outform PEM), leaf certificate first");
        }
        Collection<? extends Certificate> parsed;
        try {
            byte[] pem = onlyCertificates(text).getBytes(StandardCharsets.US_ASCII);
            parsed = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        } catch (CertificateException e) {
            throw new IllegalArgumentException(
                    "the client certificate file " + file + " cannot be parsed as X.509 " + "certificates ("
                            + e.getMessage() + "): give the certificate chain in PEM, leaf first",
                    e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate certificate : parsed) {
            chain.add((X509Certificate) certificate);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("the client certificate file " + file + " holds no certificate: give "
                    + "the certificate chain in PEM, leaf first");
        }
        return chain;
    }

    /** Only the CERTIFICATE blocks: tools write comments and attributes around them that X.509 parsing trips on. */
    private static String onlyCertificates(String text) {
        StringBuilder out = new StringBuilder();
        Matcher blocks = PEM_BLOCK.matcher(text);
        while (blocks.find()) {
            if (blocks.group(1).equals("CERTIFICATE")) {
                out.append(blocks.group()).append('\n');
            }
        }
        return out.toString();
    }

    private static PrivateKey privateKey(Path file, String password, String certificateAlgorithm) {
        String text = read(file, "client key");
        Matcher blocks = PEM_BLOCK.matcher(text);
        String type = null;
        byte[] der = null;
        while (blocks.find() && der == null) {
            if (blocks.group(1).endsWith("PRIVATE KEY")) {
                type = blocks.group(1);
                try {
                    der = Base64.getMimeDecoder().decode(blocks.group(2).strip());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "the " + type + " block of the client key file " + file
                                    + " is not valid base64: export the key again as PKCS#8 PEM",
                            e);
                }
            }
        }
        if (der == null) {
            throw new IllegalArgumentException("the client key file " + file + " holds no PEM PRIVATE KEY block: give "
                    + "the private key as PKCS#8 PEM (openssl pkcs8 -topk8 -in key.pem -out key.pk8.pem)");
        }
        PKCS8EncodedKeySpec spec;
        if (type.equals("PRIVATE KEY")) {
            spec = new PKCS8EncodedKeySpec(der);
        } else if (type.equals("ENCRYPTED PRIVATE KEY")) {
            spec = decrypt(file, der, password);
        } else {
            throw new IllegalArgumentException("the client key file " + file + " holds a " + type
                    + " (PKCS#1 or SEC1), not PKCS#8: convert it with openssl pkcs8 -topk8 -in key.pem -out key.pk8.pem "
                    + "(add -nocrypt for an unencrypted key)");
        }
        try {
            return KeyFactory.getInstance(certificateAlgorithm).generatePrivate(spec);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "the client key file " + file + " does not hold a "
                            + certificateAlgorithm
                            + " private key, the type of the client certificate's public key: give the key that belongs to "
                            + "the certificate",
                    e);
        }
    }

    private static PKCS8EncodedKeySpec decrypt(Path file, byte[] der, String password) {
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("the client key file " + file + " is encrypted but no key password is "
                    + "set: set chat.api.tls.client.key.password (CHAT_BRIDGE_API_TLS_CLIENT_KEY_PASSWORD)");
        }
        EncryptedPrivateKeyInfo info;
        try {
            info = new EncryptedPrivateKeyInfo(der);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "the ENCRYPTED PRIVATE KEY of the client key file " + file
                            + " cannot be parsed: export it again as PKCS#8 PEM",
                    e);
        }
        try {
            return info.getKeySpec(cipher(info, password));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "the client key file " + file + " cannot be decrypted: the key password "
                            + "(chat.api.tls.client.key.password) is wrong, or the encryption (" + info.getAlgName()
                            + ") is not supported by this JVM; re-encrypt with openssl pkcs8 -topk8 -v2 aes-256-cbc",
                    e);
        }
    }

    /** The cipher that opens {@code info}; PBES2 names its real algorithm in the parameters (as Netty does). */
    private static Cipher cipher(EncryptedPrivateKeyInfo info, String password) throws GeneralSecurityException {
        AlgorithmParameters parameters = info.getAlgParameters();
        String algorithm = info.getAlgName().toUpperCase(Locale.ROOT).equals("PBES2") && parameters != null
                ? parameters.toString()
                : info.getAlgName();
        PBEKeySpec keySpec = new PBEKeySpec(password.toCharArray());
        try {
            Cipher cipher = Cipher.getInstance(algorithm);
            cipher.init(
                    Cipher.DECRYPT_MODE, SecretKeyFactory.getInstance(algorithm).generateSecret(keySpec), parameters);
            return cipher;
        } finally {
            keySpec.clearPassword();
        }
    }

    /** Signs a random challenge with the key and verifies it with the certificate: one signature, a millisecond. */
    private static void requireMatch(PrivateKey key, X509Certificate leaf, Path certificateFile, Path keyFile) {
        String algorithm = signatureAlgorithm(key.getAlgorithm());
        if (algorithm == null) {
            return;
        }
        PublicKey publicKey = leaf.getPublicKey();
        boolean matches;
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException("the private key in " + keyFile + " does not belong to the client "
                    + "certificate in " + certificateFile + " ("
                    + leaf.getSubjectX500Principal().getName()
                    + "): give the key that was issued with that certificate, and the certificate first in its file");
        }
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        switch (keyAlgorithm.toUpperCase(Locale.ROOT)) {
            case "RSA":
                return "SHA256withRSA";
            case "EC":
                return "SHA256withECDSA";
            case "DSA":
                return "SHA256withDSA";
            case "EDDSA":
            case "ED25519":
            case "ED448":
                return keyAlgorithm;
            default:
                return null;
        }
    }

    private static String read(Path file, String what) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("the " + what + " file " + file + " does not exist or is not a "
                        + "regular file: check the path");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IllegalArgumentException("the " + what + " file " + file + " is larger than " + MAX_FILE_BYTES
                        + " bytes, far more than PEM needs: check the path");
            }
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "the " + what + " file " + file + " cannot be read ("
                            + e.getClass().getSimpleName() + "): check the path and that this user may read it",
                    e);
        }
    }
}
