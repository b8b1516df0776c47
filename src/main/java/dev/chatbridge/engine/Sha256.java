package dev.chatbridge.engine;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The lowercase hex SHA-256 that dead letters carry to identify bytes they leave out. */
public final class Sha256 {

    private Sha256() {}

    /** The hex SHA-256 of the bytes; null is hashed as no bytes. */
    public static String hex(byte[] bytes) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes == null ? new byte[0] : bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
