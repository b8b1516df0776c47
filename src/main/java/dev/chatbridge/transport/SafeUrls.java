package dev.chatbridge.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * URL rules shared by the API client, the registry client and the startup log: which hosts count as loopback (where
 * cleartext {@code http://} cannot be read by anyone else), and how a URL is shown without the secrets it may carry.
 *
 * <p><b>Loopback</b> is decided from the URL's text alone, never by a DNS lookup: the name {@code localhost} (any case;
 * resolvers must answer it with a loopback address, RFC 6761), an IPv4 literal in 127.0.0.0/8, or the IPv6 literal
 * {@code ::1} (in any spelling, IPv4-mapped loopback included). Every other name is non-loopback, even one that happens
 * to resolve to 127.0.0.1: a lookup at startup could answer differently later, and the rule must not depend on the
 * resolver.
 *
 * <p><b>Shown URLs</b> keep scheme, host, port and path; the user info becomes {@value #REDACTED}, every query
 * parameter keeps its name but loses its value, and a fragment is replaced as a whole. Every value is hidden, not a
 * list of known secret names ({@code token}, {@code sig}, {@code api_key}, ...): such a list is never complete (signed
 * URLs, SAS tokens and vendor keys all use their own names), and a value is never needed to tell which endpoint is
 * meant. Stateless.
 */
public final class SafeUrls {

    /** What a hidden part of a URL is shown as. */
    public static final String REDACTED = "[redacted]";

    /** A URL in free text: a scheme, "://", then everything up to white space, a quote, {@code <>} or {@code ()}. */
    private static final Pattern URL_IN_TEXT = Pattern.compile("[A-Za-z][A-Za-z0-9+.\\-]*://[^\\s\"'<>()]*");
    /** Where one URL of a comma-separated list ends: at a comma that starts the next URL. */
    private static final Pattern NEXT_URL = Pattern.compile(",\\s*(?=[A-Za-z][A-Za-z0-9+.\\-]*://)");

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private SafeUrls() {}

    /**
     * Whether {@code host} (as in a URL: an IPv6 literal may keep its brackets) is loopback by the rule above. Never
     * resolves a name.
     */
    public static boolean isLoopbackHost(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            return isLoopbackIpv6(h.substring(1, h.length() - 1));
        }
        if (h.equals("localhost")) {
            return true;
        }
        Matcher ipv4 = IPV4.matcher(h);
        if (ipv4.matches()) {
            return isIpv4(ipv4) && Integer.parseInt(ipv4.group(1)) == 127;
        }
        return h.indexOf(':') >= 0 && isLoopbackIpv6(h);
    }

    /**
     * One URL (or a comma-separated list of them) as it may be shown: user info, query values and fragment hidden. The
     * whole text is taken as the URL, white space and all, since a URL that failed to parse may hold anything. Null
     * stays null.
     */
    public static String shown(String url) {
        if (url == null) {
            return null;
        }
        return scrubList(url);
    }

    /**
     * {@code text} with every URL in it shown as by {@link #shown(String)}; text that holds no URL is returned as is. A
     * comma-separated list of URLs is treated one URL at a time.
     */
    public static String scrub(String text) {
        if (text == null || text.indexOf("://") < 0) {
            return text;
        }
        Matcher urls = URL_IN_TEXT.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (urls.find()) {
            urls.appendReplacement(out, Matcher.quoteReplacement(scrubList(urls.group())));
        }
        urls.appendTail(out);
        return out.toString();
    }

    private static String scrubList(String text) {
        // A comma that ends the span separates it from what follows; it is no part of the URL.
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == ',') {
            end--;
        }
        String span = text.substring(0, end);
        Matcher next = NEXT_URL.matcher(span);
        StringBuilder out = new StringBuilder(span.length());
        int start = 0;
        while (next.find()) {
            out.append(scrubOne(span.substring(start, next.start()))).append(next.group());
            start = next.end();
        }
        return out.append(scrubOne(span.substring(start)))
                .append(text, end, text.length())
                .toString();
    }

    /** One URL: {@code scheme://[userinfo@]authority[path][?query][#fragment]}, parsed leniently. */
    private static String scrubOne(String url) {
        int scheme = url.indexOf("://");
        int schemeEnd = scheme < 0 ? 0 : scheme + 3;
        int fragment = url.indexOf('#', schemeEnd);
        int query = url.indexOf('?', schemeEnd);
        if (fragment >= 0 && query > fragment) {
            query = -1;
        }
        int beforeQuery = query >= 0 ? query : fragment >= 0 ? fragment : url.length();
        // The user info ends at the last '@' before the query: a password may hold a raw '/' or '@'.
        int at = url.lastIndexOf('@', beforeQuery - 1);
        StringBuilder out = new StringBuilder(url.length());
        if (at >= schemeEnd) {
            out.append(url, 0, schemeEnd).append(REDACTED).append(url, at, beforeQuery);
        } else {
            out.append(url, 0, beforeQuery);
        }
        if (query >= 0) {
            out.append('?').append(scrubQuery(url.substring(query + 1, fragment >= 0 ? fragment : url.length())));
        }
        if (fragment >= 0) {
            out.append('#').append(fragment + 1 < url.length() ? REDACTED : "");
        }
        return out.toString();
    }

    private static String scrubQuery(String query) {
        StringBuilder out = new StringBuilder(query.length());
        int start = 0;
        while (start <= query.length()) {
            int end = nextSeparator(query, start);
            String parameter = query.substring(start, end);
            int equals = parameter.indexOf('=');
            if (equals >= 0) {
                out.append(parameter, 0, equals + 1).append(REDACTED);
            } else if (!parameter.isEmpty()) {
                // A bare parameter may itself be a token (?abc123): hide it too.
                out.append(REDACTED);
            }
            if (end < query.length()) {
                out.append(query.charAt(end));
            }
            start = end + 1;
        }
        return out.toString();
    }

    private static int nextSeparator(String query, int from) {
        for (int i = from; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '&' || c == ';') {
                return i;
            }
        }
        return query.length();
    }

    private static boolean isIpv4(Matcher ipv4) {
        for (int group = 1; group <= 4; group++) {
            if (Integer.parseInt(ipv4.group(group)) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code ::1} in any spelling, or an IPv4-mapped 127.x.y.z. The JDK parses a bracketed literal without any lookup,
     * and refuses one that is not an IPv6 address.
     */
    private static boolean isLoopbackIpv6(String literal) {
        int zone = literal.indexOf('%');
        String address = zone >= 0 ? literal.substring(0, zone) : literal;
        if (!address.matches("[0-9a-f:.]+")) {
            return false;
        }
        try {
            return InetAddress.getByName("[" + address + "]").isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
