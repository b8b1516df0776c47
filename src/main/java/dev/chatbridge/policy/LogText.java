package dev.chatbridge.policy;

/**
 * Makes text from a request or a token safe to put in a denial message or a log line: control and non-ASCII characters
 * become {@code ?}, and long text is cut. Stateless.
 */
final class LogText {

    private LogText() {}

    /** {@code text} with every character outside printable ASCII replaced, at most {@code max} characters. */
    static String safe(String text, int max) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 3);
        for (int i = 0; i < text.length() && i < max; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (text.length() > max) {
            out.append("...");
        }
        return out.toString();
    }
}
