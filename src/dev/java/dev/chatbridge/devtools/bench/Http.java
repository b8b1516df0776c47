package dev.chatbridge.devtools.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * Small blocking HTTP reads of a child's ops server: readiness and Prometheus metrics. Every call has a timeout.
 * Thread-safe.
 */
final class Http {

    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Http() {}

    /** The status of {@code GET url}, or -1 when nothing answered within 2 s. */
    static int status(String url) {
        try {
            return CLIENT.send(get(url), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The body of {@code GET url}; throws {@link BenchException} on failure. */
    static String body(String url) {
        try {
            HttpResponse<String> res = CLIENT.send(get(url), HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                throw new BenchException("GET " + url + " answered " + res.statusCode());
            }
            return res.body();
        } catch (IOException e) {
            throw new BenchException("GET " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted during GET " + url, e);
        }
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
    }

    /** The sum of every sample of {@code metric} (any labels) in Prometheus text; empty when there is none. */
    static OptionalDouble sum(String prometheusText, String metric) {
        double total = 0;
        boolean found = false;
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(metric)) {
                continue;
            }
            String rest = line.substring(metric.length());
            if (!rest.startsWith("{") && !rest.startsWith(" ")) {
                continue;
            }
            int space = rest.lastIndexOf(' ');
            try {
                total += Double.parseDouble(rest.substring(space + 1).trim());
                found = true;
            } catch (NumberFormatException e) {
                // a sample value Prometheus allows but Java does not parse (none expected): not counted
            }
        }
        return found ? OptionalDouble.of(total) : OptionalDouble.empty();
    }
}
