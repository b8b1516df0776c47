package dev.chatbridge.devtools;

import java.net.BindException;

/** Tells a failed start whose cause is a taken port, for the development tools that listen on 127.0.0.1. */
public final class PortsInUse {

    private PortsInUse() {}

    /**
     * Whether a port that was already in use made {@code failure} happen: a {@link BindException} anywhere in its cause
     * chain, or a cause that says "already in use" (Netty's native transports report a taken port with their own
     * exception type).
     */
    public static boolean causedBy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("already in use")) {
                return true;
            }
        }
        return false;
    }
}
