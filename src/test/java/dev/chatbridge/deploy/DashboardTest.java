package dev.chatbridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatbridge.api.ChatClient;
import dev.chatbridge.api.KeyCheck;
import dev.chatbridge.app.ChatBridgeApp;
import dev.chatbridge.devtools.simulator.ApiSimulator;
import dev.chatbridge.devtools.simulator.SimulatorConfig;
import dev.chatbridge.observability.ChatBridgeMeters;
import dev.chatbridge.observability.MeterTag;
import dev.chatbridge.observability.ServiceRegistry;
import dev.chatbridge.testing.OfflineSettings;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.internals.FetchMetricsRegistry;
import org.apache.kafka.common.MetricNameTemplate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code k8s/base/grafana/chat-bridge-dashboard.json} asks only for series the service exposes, and imports into any
 * Grafana: its Prometheus data source is a variable, never a fixed uid.
 *
 * <p>What the service exposes is taken from the sources, not from a copy: the {@code chat_bridge_*} names and tags from
 * {@link ChatBridgeMeters} (the catalogue {@code docs/metrics.md} is generated from), every other name from the
 * Prometheus registry of a real, not started instance (JVM and Kafka Streams client meters), plus the meters that
 * appear only once traffic flows: the API connection pool's, after one real call of the service's {@link ChatClient} to
 * the simulator, and the consumers' per-partition fetch meters, from Kafka's own template list named the way
 * Micrometer's Kafka binder names them (the rule is checked against a client-level meter here).
 */
@Timeout(120)
class DashboardTest {

    private static final Path DASHBOARD = Path.of("k8s", "base", "grafana", "chat-bridge-dashboard.json");
    private static final String KEY = "dashboard-test-key";
    /** Labels Prometheus adds to every scraped series. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job");

    private static final PrometheusNamingConvention PROMETHEUS = new PrometheusNamingConvention();

    /** Prometheus sample name to its label names and known values (empty: values not known in advance). */
    private static Map<String, Map<String, Set<String>>> exposed;

    @BeforeAll
    static void collectWhatTheServiceExposes(@TempDir Path stateDir) {
        Map<String, Map<String, Set<String>>> series = new TreeMap<>();
        series.putAll(catalogue());
        try (ApiSimulator simulator =
                new ApiSimulator(SimulatorConfig.builder().apiKeys(KEY).build()).start()) {
            // Nothing is started but the simulator: no broker or registry is asked.
            ChatBridgeApp.Settings settings = OfflineSettings.forRun(stateDir, simulator.baseUrl(), KEY);
            try (ServiceRegistry metrics = ServiceRegistry.create();
                    ChatBridgeApp app = ChatBridgeApp.create(settings, metrics.registry());
                    ChatClient client = new ChatClient(settings.client())) {
                KeyCheck check = client.checkKey().block(Duration.ofSeconds(30));
                assertThat(check)
                        .as("one call through the service's API client")
                        .isNotNull();
                assertThat(app.isReady()).as("the instance was never started").isFalse();
                scrape(metrics.registry().scrape()).forEach((name, labels) -> {
                    if (!name.startsWith("chat_bridge_")) {
                        series.put(name, labels);
                    }
                });
            }
        }
        // The consumer's fetch meters, with the group prefix and client tag KafkaConsumer gives them.
        FetchMetricsRegistry fetch = new FetchMetricsRegistry(Set.of("client-id"), "consumer");
        String clientLevel = kafkaName(fetch.recordsLagMax);
        assertThat(series.containsKey(clientLevel))
                .as("the Kafka binder's naming rule gives %s, a meter every consumer has from the start", clientLevel)
                .isTrue();
        for (MetricNameTemplate partitionLevel : List.of(
                fetch.partitionRecordsLag,
                fetch.partitionRecordsLagMax,
                fetch.partitionRecordsLagAvg,
                fetch.partitionRecordsLead,
                fetch.partitionRecordsLeadMin,
                fetch.partitionRecordsLeadAvg)) {
            Map<String, Set<String>> labels = new TreeMap<>();
            partitionLevel.tags().forEach(tag -> labels.put(tag.replace('-', '_'), Set.of()));
            labels.put("kafka_version", Set.of());
            series.putIfAbsent(kafkaName(partitionLevel), labels);
        }
        exposed = series;
    }

    @Test
    void shouldQueryOnlyMetricsTheServiceExposes() throws IOException {
        List<Query> queries = queries(dashboard());
        assertThat(queries).as("queries of the dashboard").hasSizeGreaterThan(10);

        assertThat(unknownMetrics(queries))
                .as("metrics the dashboard asks for that the service does not expose")
                .isEmpty();
    }

    @Test
    void shouldFilterAndGroupOnlyByLabelsTheMetricsCarry() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Query query : queries(dashboard())) {
            problems.addAll(labelProblems(query));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void shouldAnswerTheOperatorsQuestions() throws IOException {
        Map<String, Set<String>> metricsByTitle = new TreeMap<>();
        for (Query query : queries(dashboard())) {
            metricsByTitle.computeIfAbsent(query.panel(), t -> new TreeSet<>()).addAll(metricNames(query.expr()));
        }
        Set<String> used = new TreeSet<>();
        metricsByTitle.values().forEach(used::addAll);

        assertThat(used)
                .as("throughput, dead letters, concurrency, backlog, latency, retries, lag, readiness")
                .contains(
                        "chat_bridge_requests_total",
                        "chat_bridge_dead_letters_total",
                        "chat_bridge_in_flight_calls",
                        "reactor_netty_connection_provider_max_connections",
                        "chat_bridge_pending_requests",
                        "chat_bridge_call_duration_seconds_bucket",
                        "chat_bridge_call_first_event_seconds_bucket",
                        "chat_bridge_retries_total",
                        "kafka_consumer_fetch_manager_records_lag",
                        "chat_bridge_ready");
        assertThat(metricsByTitle)
                .allSatisfy((title, metrics) ->
                        assertThat(metrics).as("metrics of panel '%s'", title).isNotEmpty());
    }

    @Test
    void shouldTakeTheDataSourceFromAVariableSoItImportsAnywhere() throws IOException {
        JsonNode dashboard = dashboard();
        Set<String> variables = new TreeSet<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("datasource".equals(variable.path("type").asText())
                    && "prometheus".equals(variable.path("query").asText())) {
                variables.add(variable.path("name").asText());
            }
        }
        for (JsonNode input : dashboard.path("__inputs")) {
            if ("datasource".equals(input.path("type").asText())) {
                variables.add(input.path("name").asText());
            }
        }
        assertThat(variables).as("data source variables or import inputs").isNotEmpty();

        List<JsonNode> references = new ArrayList<>();
        collect(dashboard, "datasource", references);
        assertThat(references).as("data source references").isNotEmpty();
        for (JsonNode reference : references) {
            if (reference.isObject() && "grafana".equals(reference.path("type").asText())) {
                continue; // Grafana's built-in annotation source, present in every installation
            }
            String uid = reference.isObject() ? reference.path("uid").asText() : reference.asText();
            assertThat(uid).as("data source %s", reference).matches("\\$\\{?\\w+}?");
            assertThat(uid.replaceAll("[${}]", ""))
                    .as("variable of data source %s", reference)
                    .isIn(variables);
        }
        assertThat(queries(dashboard))
                .allSatisfy(query -> assertThat(query.datasource())
                        .as("data source of a query of '%s'", query.panel())
                        .isNotNull());
    }

    @Test
    void shouldCatchAMisspeltMetricALabelAndAValue() {
        List<Query> misspelt = List.of(
                new Query("typo", "sum(rate(chat_bridge_request_total[5m]))", "${datasource}"),
                new Query("wrong unit", "chat_bridge_call_duration_milliseconds_bucket", "${datasource}"),
                new Query(
                        "known",
                        "histogram_quantile(0.99, sum by (le) (rate("
                                + "chat_bridge_call_first_event_seconds_bucket{instance=~\"$instance\"}[$__rate_interval])))",
                        "${datasource}"));
        List<Query> badLabels = List.of(
                new Query(
                        "label",
                        "sum by (cause) (rate(chat_bridge_retries_total{reson=\"429\"}[5m]))",
                        "${datasource}"),
                new Query("value", "chat_bridge_requests_total{outcome=\"answered\"}", "${datasource}"));

        assertThat(unknownMetrics(misspelt))
                .containsExactly(
                        "typo: chat_bridge_request_total", "wrong unit: chat_bridge_call_duration_milliseconds_bucket");
        assertThat(labelProblems(badLabels.get(0))).hasSize(2);
        assertThat(labelProblems(badLabels.get(1)))
                .hasSize(1)
                .allSatisfy(problem -> assertThat(problem).contains("answered"));
    }

    @Test
    void shouldReadMetricNamesOutOfPromQl() {
        assertThat(metricNames("histogram_quantile(0.5, sum by (le, result) (rate(a_seconds_bucket{x=\"y(z)\", "
                        + "instance=~\"$instance\"}[$__rate_interval]))) / on (instance) group_left max without (le) (b)"
                        + " > bool 0 or vector(0) unless c offset 5m"))
                .containsExactly("a_seconds_bucket", "b", "c");
        assertThat(metricNames("sum(rate(x_total[1m])) by (reason)")).containsExactly("x_total");
        assertThat(metricNames("label_values(chat_bridge_ready, instance)")).containsExactly("chat_bridge_ready");
    }

    // ---- what the service exposes

    /** The catalogue's Prometheus samples: a counter's {@code _total}, a timer's four, a gauge's own. */
    private static Map<String, Map<String, Set<String>>> catalogue() {
        Map<String, Map<String, Set<String>>> samples = new TreeMap<>();
        for (ChatBridgeMeters meter : ChatBridgeMeters.values()) {
            Map<String, Set<String>> tags = new TreeMap<>();
            for (MeterTag tag : meter.tags()) {
                tags.put(tag.key(), new TreeSet<>(tag.allowedValues()));
            }
            String main = meter.prometheusName();
            List<String> names = switch (meter.kind()) {
                case COUNTER, GAUGE -> List.of(main);
                case TIMER -> {
                    String base = main.substring(0, main.length() - "_count".length());
                    yield List.of(base + "_count", base + "_sum", base + "_max", base + "_bucket");
                }
            };
            for (String name : names) {
                Map<String, Set<String>> labels = new TreeMap<>(tags);
                if (name.endsWith("_bucket")) {
                    labels.put("le", Set.of());
                }
                samples.put(name, labels);
            }
        }
        return samples;
    }

    /** Sample names of a Prometheus text scrape, with the label names and values seen. */
    private static Map<String, Map<String, Set<String>>> scrape(String text) {
        Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s");
        Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
        Map<String, Map<String, Set<String>>> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            Matcher m = sample.matcher(line);
            if (line.startsWith("#") || !m.find()) {
                continue;
            }
            Map<String, Set<String>> labels = samples.computeIfAbsent(m.group(1), n -> new TreeMap<>());
            if (m.group(3) != null) {
                Matcher l = label.matcher(m.group(3));
                while (l.find()) {
                    labels.computeIfAbsent(l.group(1), k -> new TreeSet<>()).add(l.group(2));
                }
            }
        }
        return samples;
    }

    /** How Micrometer's Kafka binder names a Kafka client metric (a gauge) in Prometheus. */
    private static String kafkaName(MetricNameTemplate template) {
        String dotted = ("kafka." + template.group() + "." + template.name())
                .replace("-metrics", "")
                .replace('-', '.');
        return PROMETHEUS.name(dotted, Meter.Type.GAUGE, null);
    }

    // ---- the dashboard

    /** One PromQL query of the dashboard: a panel target or a query variable. */
    record Query(String panel, String expr, String datasource) {}

    private static JsonNode dashboard() throws IOException {
        return new ObjectMapper().readTree(DASHBOARD.toFile());
    }

    private static List<Query> queries(JsonNode dashboard) {
        List<Query> queries = new ArrayList<>();
        List<JsonNode> panels = new ArrayList<>();
        collectPanels(dashboard.path("panels"), panels);
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    JsonNode ds = target.hasNonNull("datasource") ? target.get("datasource") : panel.get("datasource");
                    queries.add(new Query(
                            panel.path("title").asText(),
                            target.get("expr").asText(),
                            ds == null ? null : ds.path("uid").asText(null)));
                }
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode q = variable.path("query");
                String expr = q.isObject() ? q.path("query").asText() : q.asText();
                JsonNode ds = variable.get("datasource");
                queries.add(new Query(
                        "variable " + variable.path("name").asText(),
                        expr,
                        ds == null ? null : ds.path("uid").asText(null)));
            }
        }
        return queries;
    }

    private static void collectPanels(JsonNode panels, List<JsonNode> into) {
        for (JsonNode panel : panels) {
            into.add(panel);
            collectPanels(panel.path("panels"), into); // rows, collapsed or not
        }
    }

    private static void collect(JsonNode node, String field, List<JsonNode> into) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (e.getKey().equals(field) && !e.getValue().isNull()) {
                    into.add(e.getValue());
                }
                collect(e.getValue(), field, into);
            }
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, field, into));
        }
    }

    private static List<String> unknownMetrics(List<Query> queries) {
        List<String> unknown = new ArrayList<>();
        for (Query query : queries) {
            for (String name : metricNames(query.expr())) {
                if (!exposed.containsKey(name)) {
                    unknown.add(query.panel() + ": " + name);
                }
            }
        }
        return unknown;
    }

    /** Selector labels the metric lacks, literal values it never takes, grouping labels none of its metrics carry. */
    private static List<String> labelProblems(Query query) {
        List<String> problems = new ArrayList<>();
        Set<String> carried = new TreeSet<>(TARGET_LABELS);
        for (Selector selector : selectors(query.expr())) {
            Map<String, Set<String>> labels = exposed.getOrDefault(selector.metric(), Map.of());
            carried.addAll(labels.keySet());
            for (Map.Entry<String, String> matcher : selector.equalities().entrySet()) {
                Set<String> values = labels.get(matcher.getKey());
                if (values != null && !values.isEmpty() && !values.contains(matcher.getValue())) {
                    problems.add(query.panel() + ": " + selector.metric() + " has no " + matcher.getKey() + "=\""
                            + matcher.getValue() + "\" (values: " + values + ")");
                }
            }
            for (String label : selector.labels()) {
                if (!TARGET_LABELS.contains(label) && !labels.containsKey(label)) {
                    problems.add(query.panel() + ": " + selector.metric() + " has no label " + label);
                }
            }
        }
        for (String label : groupingLabels(query.expr())) {
            if (!carried.contains(label)) {
                problems.add(query.panel() + ": no metric of '" + query.expr() + "' has the label " + label);
            }
        }
        return problems;
    }

    // ---- a little PromQL reading: enough for names, selectors and groupings

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "bool",
            "and",
            "or",
            "unless",
            "offset",
            "inf",
            "nan",
            "atan2");
    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER =
            Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*(\"(?:[^\"\\\\]|\\\\.)*\")");

    /** Metric names in a PromQL expression (and in Grafana's label_values(metric, label)). */
    static Set<String> metricNames(String expr) {
        String rest = STRING.matcher(expr).replaceAll("\"\"");
        rest = rest.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
        Matcher labelValues = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)")
                .matcher(rest);
        Set<String> names = new LinkedHashSet<>();
        while (labelValues.find()) {
            names.add(labelValues.group(1));
        }
        rest = labelValues.replaceAll(" ");
        rest = GROUPING.matcher(rest).replaceAll(" ");
        Matcher m = IDENTIFIER.matcher(rest);
        while (m.find()) {
            String word = m.group(1);
            boolean function = m.group(2) != null;
            boolean number = word.matches("(?i)inf|nan");
            if (!function && !number && !KEYWORDS.contains(word.toLowerCase(Locale.ROOT))) {
                names.add(word);
            }
        }
        return names;
    }

    /** A metric with braces: its label names, and the values of its {@code =} matchers. */
    record Selector(String metric, Set<String> labels, Map<String, String> equalities) {}

    private static List<Selector> selectors(String expr) {
        List<Selector> selectors = new ArrayList<>();
        Matcher s = SELECTOR.matcher(expr);
        while (s.find()) {
            Set<String> labels = new TreeSet<>();
            Map<String, String> equalities = new HashMap<>();
            Matcher m = MATCHER.matcher(s.group(2));
            while (m.find()) {
                labels.add(m.group(1));
                if (m.group(2).equals("=")) {
                    String quoted = m.group(3);
                    equalities.put(m.group(1), quoted.substring(1, quoted.length() - 1));
                }
            }
            selectors.add(new Selector(s.group(1), labels, equalities));
        }
        // Bare metric names carry no matchers but still count for the grouping check.
        for (String name : metricNames(expr)) {
            if (selectors.stream().noneMatch(sel -> sel.metric().equals(name))) {
                selectors.add(new Selector(name, Set.of(), Map.of()));
            }
        }
        return selectors;
    }

    private static Set<String> groupingLabels(String expr) {
        Set<String> labels = new TreeSet<>();
        Matcher g = GROUPING.matcher(STRING.matcher(expr).replaceAll("\"\""));
        while (g.find()) {
            for (String label : g.group(2).split(",")) {
                if (!label.isBlank()) {
                    labels.add(label.strip());
                }
            }
        }
        return labels;
    }
}
