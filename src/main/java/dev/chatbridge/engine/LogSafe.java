package dev.chatbridge.engine;

/**
 * Makes producer-chosen text safe for a log line: control characters (CR, LF, ESC, NUL, ...) are shown as backslash-u
 * escapes (for example <code>&#92;u000A</code>), so a record cannot forge log lines or terminal colours, and the text
 * is cut to {@value #MAX_CHARS} characters.
 */
final class LogSafe {

    static final int MAX_CHARS = 256;

    private LogSafe() {}

    /**
     * Whether the character would break or forge a log line: C0/C1 controls and the Unicode line and paragraph
     * separators.
     */
    static boolean isControl(char c) {
        return Character.isISOControl(c)
                || Character.getType(c) == Character.LINE_SEPARATOR
                || Character.getType(c) == Character.PARAGRAPH_SEPARATOR;
    }

    static String text(String s) {
        if (s == null) {
            return null;
        }
        int end = Math.min(s.length(), MAX_CHARS);
        StringBuilder b = null;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            boolean unsafe = isControl(c);
            if (unsafe && b == null) {
                b = new StringBuilder(end + 16).append(s, 0, i);
            }
            if (b != null) {
                if (unsafe) {
                    b.append(String.format("\\u%04X", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        String safe = b == null ? s.substring(0, end) : b.toString();
        return s.length() > end ? safe + "…(" + (s.length() - end) + " more characters)" : safe;
    }
}
