package dev.chatbridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.chatbridge.config.ChatBridgeConfig;
import dev.chatbridge.config.ConfigLoader;
import dev.chatbridge.config.Redaction;
import dev.chatbridge.observability.ChatBridgeMeters;
import dev.chatbridge.observability.MeterTag;
import dev.chatbridge.registry.RegistryClientConfig;
import dev.chatbridge.serde.AvroSerdeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The deployment files agree with the code: every YAML under {@code k8s/} (each kustomization with what it pulls in:
 * resources, inline and file patches, generated ConfigMaps) and {@code docker-compose.yml} when present.
 *
 * <ul>
 *   <li>every {@code CHAT_BRIDGE_*} / {@code KAFKA_*} variable maps, by {@link ConfigLoader}'s own rule, to a setting
 *       of {@link ChatBridgeConfig#DEFINITION} or to a known Kafka client, Streams, topic or registry key;
 *   <li>probes are {@code /health/live} and {@code /health/ready} on the metrics port set in the same manifests, which
 *       listens on 0.0.0.0, and the Service, ServiceMonitor and NetworkPolicy point at that port;
 *   <li>the pod and container security contexts are the restricted ones;
 *   <li>the grace period outlasts the drain timeout;
 *   <li>alert rules use real meter names, tags and tag values ({@link ChatBridgeMeters}).
 * </ul>
 *
 * Each check is a function from manifests to problems, run on the real files (no problem) and on broken copies of them
 * (a problem each), so none of them can pass vacuously.
 */
@Timeout(60)
class DeploymentFilesTest {

    private static final Path K8S = Path.of("k8s");
    private static final Path COMPOSE = Path.of("docker-compose.yml");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Set<String> WORKLOAD_KINDS = Set.of("Deployment", "StatefulSet");
    private static final String METRICS_PORT = ConfigLoader.envVarFor(ChatBridgeConfig.METRICS_PORT);
    private static final String METRICS_HOST = ConfigLoader.envVarFor(ChatBridgeConfig.METRICS_HOST);
    private static final String DRAIN_TIMEOUT = ConfigLoader.envVarFor(ChatBridgeConfig.SHUTDOWN_DRAIN_TIMEOUT);
    private static final int RESTRICTED_ID = 10001;

    /** One YAML document, from a resource or from a patch. */
    record Doc(String origin, boolean patch, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }
    }

    /** Everything one kustomization renders from. */
    record Manifests(String name, List<Doc> docs) {
        Stream<Doc> resources(String... kinds) {
            Set<String> wanted = Set.of(kinds);
            return docs.stream().filter(d -> !d.patch() && wanted.contains(d.kind()));
        }

        /** A deep, mutable copy, to break. */
        Manifests copy() {
            List<Doc> copies = new ArrayList<>();
            docs.forEach(d -> copies.add(new Doc(d.origin(), d.patch(), d.node().deepCopy())));
            return new Manifests(name, copies);
        }
    }

    // ---------------------------------------------------------------------------------------
    // The checks on the real files
    // ---------------------------------------------------------------------------------------

    @Test
    void shouldFindTheBaseAndBothOverlays() {
        assertThat(kustomizations().stream().map(Manifests::name))
                .contains("k8s/base", "k8s/overlays/dev", "k8s/overlays/prod");
        assertThat(base().resources("Deployment").count()).isEqualTo(1);
    }

    @Test
    void everyEnvironmentVariableUnderK8sNamesARealSetting() {
        List<Doc> all = new ArrayList<>();
        for (Path file : yamlFiles(K8S)) {
            all.addAll(expand(file, false));
        }
        Map<String, String> names = envNames(all);
        assertThat(names)
                .as("no CHAT_BRIDGE_* or KAFKA_* variable found under k8s/")
                .isNotEmpty();
        assertThat(unknownSettings(names)).isEmpty();
    }

    @Test
    void probesServiceServiceMonitorAndNetworkPolicyUseTheMetricsPort() {
        for (Manifests m : kustomizations()) {
            assertThat(portProblems(m)).as(m.name()).isEmpty();
        }
    }

    @Test
    void securityContextsAreRestricted() {
        for (Manifests m : kustomizations()) {
            assertThat(securityProblems(m)).as(m.name()).isEmpty();
        }
    }

    @Test
    void gracePeriodOutlastsTheDrainTimeout() {
        for (Manifests m : kustomizations()) {
            assertThat(graceProblems(m)).as(m.name()).isEmpty();
        }
    }

    @Test
    void alertRulesUseRealMeterNamesAndTags() {
        for (Manifests m : kustomizations()) {
            assertThat(m.resources("PrometheusRule").count()).as(m.name()).isPositive();
            assertThat(alertProblems(m)).as(m.name()).isEmpty();
        }
    }

    @Test
    void dockerComposeNamesRealSettingsAndWaitsForTheDrain() {
        assumeTrue(
                Files.exists(COMPOSE),
                "docker-compose.yml is not in this tree yet (another engineer writes it); "
                        + "this check runs once it is merged");
        JsonNode compose = readYaml(COMPOSE).get(0);
        assertThat(bridgeServices(compose))
                .as("services that run the chat-bridge image")
                .isNotEmpty();
        assertThat(composeProblems(compose)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------
    // Each check fails on a broken copy of the real files
    // ---------------------------------------------------------------------------------------

    static Stream<Arguments> brokenCopies() {
        Function<Manifests, List<String>> ports = DeploymentFilesTest::portProblems;
        Function<Manifests, List<String>> security = DeploymentFilesTest::securityProblems;
        Function<Manifests, List<String>> grace = DeploymentFilesTest::graceProblems;
        Function<Manifests, List<String>> alerts = DeploymentFilesTest::alertProblems;
        Function<Manifests, List<String>> env = m -> unknownSettings(envNames(m.docs()));
        return Stream.of(
                broken("unknown CHAT_BRIDGE_ variable", env, m -> addEnv(m, "CHAT_BRIDGE_MAX_INFLIGHT", "8")),
                broken("unknown KAFKA_ variable", env, m -> addEnv(m, "KAFKA_BOOTSTRAP_SERVER", "x:9092")),
                broken("Kafka tool variable, not a setting", env, m -> addEnv(m, "KAFKA_HEAP_OPTS", "-Xmx1g")),
                broken(
                        "unknown variable in a generated ConfigMap",
                        env,
                        m -> configMap(m).put("CHAT_BRIDGE_TOPIC_REQUESTS", "x")),
                broken("liveness path", ports, m -> probe(m, "livenessProbe").put("path", "/health")),
                broken("readiness path", ports, m -> probe(m, "readinessProbe").put("path", "/health/live")),
                broken("probe port", ports, m -> probe(m, "readinessProbe").put("port", 8080)),
                broken("metrics port changed, probes not", ports, m -> setEnv(m, METRICS_PORT, "9405")),
                broken("metrics host loopback", ports, m -> setEnv(m, METRICS_HOST, "127.0.0.1")),
                broken(
                        "Service targetPort",
                        ports,
                        m -> ((ObjectNode) first(m, "Service")
                                        .path("spec")
                                        .path("ports")
                                        .get(0))
                                .put("targetPort", 8080)),
                broken(
                        "ServiceMonitor port name",
                        ports,
                        m -> ((ObjectNode) first(m, "ServiceMonitor")
                                        .path("spec")
                                        .path("endpoints")
                                        .get(0))
                                .put("port", "http")),
                broken(
                        "NetworkPolicy ingress port",
                        ports,
                        m -> ((ObjectNode) first(m, "NetworkPolicy")
                                        .path("spec")
                                        .path("ingress")
                                        .get(0)
                                        .path("ports")
                                        .get(0))
                                .put("port", 8080)),
                broken("runAsNonRoot false", security, m -> podSecurity(m).put("runAsNonRoot", false)),
                broken("root uid", security, m -> podSecurity(m).put("runAsUser", 0)),
                broken("other gid", security, m -> podSecurity(m).put("runAsGroup", 0)),
                broken("no seccomp profile", security, m -> {
                    podSecurity(m).remove("seccompProfile");
                    containerSecurity(m).remove("seccompProfile");
                }),
                broken(
                        "privilege escalation",
                        security,
                        m -> containerSecurity(m).put("allowPrivilegeEscalation", true)),
                broken(
                        "writable root filesystem",
                        security,
                        m -> containerSecurity(m).remove("readOnlyRootFilesystem")),
                broken(
                        "capabilities kept",
                        security,
                        m -> ((ObjectNode) containerSecurity(m).path("capabilities"))
                                .set(
                                        "drop",
                                        JsonNodeFactory.instance.arrayNode().add("NET_RAW"))),
                broken("capability added by a patch", security, m -> addPatch(m, """
                        {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
                          {"name": "chat-bridge",
                           "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}]}}}}""")),
                broken(
                        "grace period equal to the drain",
                        grace,
                        m -> podSpec(m).put("terminationGracePeriodSeconds", 30)),
                broken(
                        "drain raised above the grace period",
                        grace,
                        m -> configMap(m).put(DRAIN_TIMEOUT, "90000")),
                broken(
                        "no grace period (default 30 s)",
                        grace,
                        m -> podSpec(m).remove("terminationGracePeriodSeconds")),
                broken(
                        "unknown meter",
                        alerts,
                        m -> rule(m).put("expr", "rate(chat_bridge_dead_letter_total[5m]) > 0")),
                broken("timer without its suffix", alerts, m -> rule(m).put("expr", "chat_bridge_call_duration > 1")),
                broken(
                        "unknown tag",
                        alerts,
                        m -> rule(m).put("expr", "chat_bridge_requests_total{status=\"ok\"} > 0")),
                broken(
                        "unknown tag value",
                        alerts,
                        m -> rule(m).put("expr", "chat_bridge_key_checks_total{verdict=\"denied\"} > 0")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenCopies")
    void aBrokenCopyIsReported(String what, Function<Manifests, List<String>> check, Consumer<Manifests> breakIt) {
        Manifests real = base();
        assertThat(check.apply(real)).as("the real base passes this check").isEmpty();
        Manifests copy = real.copy();
        breakIt.accept(copy);
        assertThat(check.apply(copy)).as(what).isNotEmpty();
    }

    @Test
    void aComposeServiceWithAnUnknownVariableOrShortGraceIsReported() throws IOException {
        JsonNode ok = YAML.readTree("""
                services:
                  chat-bridge:
                    image: localhost/chat-bridge:dev
                    stop_grace_period: 1m
                    environment:
                      CHAT_BRIDGE_API_URL: http://simulator:8090
                      KAFKA_BOOTSTRAP_SERVERS: kafka:9092
                  kafka:
                    image: apache/kafka:4.1.0
                    environment: [KAFKA_NODE_ID=1]
                """);
        assertThat(composeProblems(ok)).isEmpty();
        JsonNode bad = YAML.readTree("""
                services:
                  chat-bridge:
                    build: .
                    command: ["run"]
                    environment: ["CHAT_BRIDGE_API_URI=http://simulator:8090"]
                """);
        assertThat(composeProblems(bad))
                .hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("CHAT_BRIDGE_API_URI"))
                .anySatisfy(p -> assertThat(p).contains("stop_grace_period"));
    }

    private static Arguments broken(String what, Function<Manifests, List<String>> check, Consumer<Manifests> breakIt) {
        return Arguments.of(what, check, breakIt);
    }

    // ---------------------------------------------------------------------------------------
    // Checks: manifests -> problems
    // ---------------------------------------------------------------------------------------

    /** CHAT_BRIDGE_* and KAFKA_* names (name -> where) that name no setting. */
    static List<String> unknownSettings(Map<String, String> names) {
        Set<String> kafkaKeys = knownKafkaKeys();
        List<String> problems = new ArrayList<>();
        names.forEach((name, where) -> {
            if (!name.startsWith(ConfigLoader.CHAT_ENV_PREFIX) && !name.startsWith(ConfigLoader.KAFKA_ENV_PREFIX)) {
                return;
            }
            // The loader's own rule: an unknown CHAT_BRIDGE_* becomes a warning, a Kafka tool
            // variable sets nothing, anything else KAFKA_* sets exactly one key.
            ConfigLoader.Loaded loaded = ConfigLoader.load(Map.of(), Map.of(name, "x"), null);
            if (!loaded.warnings().isEmpty()) {
                problems.add(name + " (" + where + "): " + loaded.warnings().get(0));
            } else if (loaded.settings().isEmpty()) {
                problems.add(name + " (" + where + "): sets no setting (a Kafka tool variable)");
            } else {
                String key = loaded.settings().keySet().iterator().next();
                if (!key.startsWith(ChatBridgeConfig.PREFIX) && !kafkaKeys.contains(key)) {
                    problems.add(name + " (" + where + "): sets " + key
                            + ", which is no Kafka client, Streams, topic or registry setting");
                }
            }
        });
        return problems;
    }

    static List<String> portProblems(Manifests m) {
        List<String> problems = new ArrayList<>();
        Set<String> ports = envValues(m, METRICS_PORT);
        Set<String> hosts = envValues(m, METRICS_HOST);
        if (ports.size() != 1) {
            problems.add(METRICS_PORT + " must be set, to one value, in the manifests; found " + ports);
            return problems;
        }
        if (!hosts.equals(Set.of("0.0.0.0"))) {
            problems.add(METRICS_HOST + " must be 0.0.0.0 (the default 127.0.0.1 is unreachable for probes); found "
                    + hosts);
        }
        int port = Integer.parseInt(ports.iterator().next());
        List<JsonNode> workloads = m.resources(WORKLOAD_KINDS.toArray(String[]::new))
                .map(Doc::node)
                .toList();
        if (workloads.isEmpty()) {
            problems.add("no workload");
        }
        Map<String, Integer> containerPorts = new LinkedHashMap<>();
        for (JsonNode w : workloads) {
            for (JsonNode c : w.path("spec").path("template").path("spec").path("containers")) {
                c.path("ports")
                        .forEach(p -> containerPorts.put(
                                p.path("name").asText(), p.path("containerPort").asInt()));
                if (!c.has("livenessProbe") || !c.has("readinessProbe")) {
                    problems.add("container " + c.path("name").asText() + " has no liveness or readiness probe");
                }
            }
        }
        // Probes of the workloads and of any patch.
        for (Doc d : m.docs()) {
            if (!WORKLOAD_KINDS.contains(d.kind())) {
                continue;
            }
            for (JsonNode c :
                    d.node().path("spec").path("template").path("spec").path("containers")) {
                checkProbe(problems, d, c, "livenessProbe", "/health/live", port, containerPorts);
                checkProbe(problems, d, c, "readinessProbe", "/health/ready", port, containerPorts);
                checkProbe(problems, d, c, "startupProbe", null, port, containerPorts);
            }
        }
        // Services that select the pods; ServiceMonitors through them.
        List<JsonNode> services = m.resources("Service").map(Doc::node).toList();
        if (services.isEmpty()) {
            problems.add("no Service for the ops port");
        }
        Map<String, JsonNode> servicePorts = new LinkedHashMap<>();
        for (JsonNode s : services) {
            boolean targets = false;
            for (JsonNode p : s.path("spec").path("ports")) {
                servicePorts.put(p.path("name").asText(), p);
                targets |= resolves(p.has("targetPort") ? p.get("targetPort") : p.get("port"), containerPorts) == port;
            }
            if (!targets) {
                problems.add("Service " + s.path("metadata").path("name").asText() + " has no port targeting " + port);
            }
        }
        for (JsonNode sm : m.resources("ServiceMonitor").map(Doc::node).toList()) {
            for (JsonNode e : sm.path("spec").path("endpoints")) {
                JsonNode sp = servicePorts.get(e.path("port").asText());
                int target = sp == null
                        ? -1
                        : resolves(sp.has("targetPort") ? sp.get("targetPort") : sp.get("port"), containerPorts);
                if (target != port || !"/metrics".equals(e.path("path").asText("/metrics"))) {
                    problems.add(
                            "ServiceMonitor endpoint port '" + e.path("port").asText() + "' path '"
                                    + e.path("path").asText() + "' does not reach /metrics on " + port);
                }
            }
        }
        for (JsonNode np : m.resources("NetworkPolicy").map(Doc::node).toList()) {
            for (JsonNode rule : np.path("spec").path("ingress")) {
                for (JsonNode p : rule.path("ports")) {
                    if (resolves(p.path("port"), containerPorts) != port) {
                        problems.add(
                                "NetworkPolicy admits port " + p.path("port").asText() + ", not the ops port " + port);
                    }
                }
            }
        }
        return problems;
    }

    private static void checkProbe(
            List<String> problems,
            Doc d,
            JsonNode container,
            String probe,
            String path,
            int port,
            Map<String, Integer> containerPorts) {
        JsonNode p = container.path(probe);
        if (p.isMissingNode()) {
            return;
        }
        JsonNode get = p.path("httpGet");
        String where = d.origin() + " " + container.path("name").asText() + " " + probe;
        if (get.isMissingNode()) {
            problems.add(where + " is not an httpGet probe");
            return;
        }
        if (path != null && !path.equals(get.path("path").asText())) {
            problems.add(where + " path " + get.path("path").asText() + ", expected " + path);
        }
        if (get.has("port") && resolves(get.get("port"), containerPorts) != port) {
            problems.add(where + " port " + get.get("port").asText() + ", expected the metrics port " + port);
        }
    }

    /** A port number, or a named container port resolved; -1 when neither. */
    private static int resolves(JsonNode port, Map<String, Integer> containerPorts) {
        if (port == null || port.isMissingNode()) {
            return -1;
        }
        if (port.isInt() || port.asText().matches("\\d+")) {
            return Integer.parseInt(port.asText());
        }
        return containerPorts.getOrDefault(port.asText(), -1);
    }

    static List<String> securityProblems(Manifests m) {
        List<String> problems = new ArrayList<>();
        List<Doc> workloads = m.resources(WORKLOAD_KINDS.toArray(String[]::new)).toList();
        if (workloads.isEmpty()) {
            problems.add("no workload");
        }
        for (Doc w : workloads) {
            JsonNode pod = w.node().path("spec").path("template").path("spec");
            JsonNode ps = pod.path("securityContext");
            expect(problems, w, "pod runAsNonRoot", ps.path("runAsNonRoot").asBoolean(false));
            expect(
                    problems,
                    w,
                    "pod runAsUser " + RESTRICTED_ID,
                    ps.path("runAsUser").asInt(-1) == RESTRICTED_ID);
            expect(
                    problems,
                    w,
                    "pod runAsGroup " + RESTRICTED_ID,
                    ps.path("runAsGroup").asInt(-1) == RESTRICTED_ID);
            for (JsonNode c : pod.path("containers")) {
                JsonNode cs = c.path("securityContext");
                String seccomp = cs.path("seccompProfile")
                        .path("type")
                        .asText(ps.path("seccompProfile").path("type").asText());
                expect(problems, w, "seccompProfile RuntimeDefault", "RuntimeDefault".equals(seccomp));
                expect(
                        problems,
                        w,
                        "allowPrivilegeEscalation false",
                        cs.path("allowPrivilegeEscalation").isBoolean()
                                && !cs.path("allowPrivilegeEscalation").asBoolean());
                expect(
                        problems,
                        w,
                        "readOnlyRootFilesystem",
                        cs.path("readOnlyRootFilesystem").asBoolean(false));
                expect(
                        problems,
                        w,
                        "capabilities drop ALL",
                        textValues(cs.path("capabilities").path("drop")).contains("ALL"));
            }
        }
        // No resource or patch may loosen any of it.
        for (Doc d : m.docs()) {
            d.node().findValues("securityContext").forEach(sc -> {
                expect(
                        problems,
                        d,
                        "no runAsNonRoot false",
                        sc.path("runAsNonRoot").asBoolean(true));
                expect(problems, d, "no uid 0", sc.path("runAsUser").asInt(RESTRICTED_ID) != 0);
                expect(problems, d, "no privileged", !sc.path("privileged").asBoolean(false));
                expect(
                        problems,
                        d,
                        "no allowPrivilegeEscalation true",
                        !sc.path("allowPrivilegeEscalation").asBoolean(false));
                expect(
                        problems,
                        d,
                        "no readOnlyRootFilesystem false",
                        sc.path("readOnlyRootFilesystem").asBoolean(true));
                expect(
                        problems,
                        d,
                        "no capabilities added",
                        sc.path("capabilities").path("add").isEmpty());
                String seccomp = sc.path("seccompProfile").path("type").asText("RuntimeDefault");
                expect(problems, d, "no seccompProfile other than RuntimeDefault", "RuntimeDefault".equals(seccomp));
            });
        }
        return problems;
    }

    static List<String> graceProblems(Manifests m) {
        List<String> problems = new ArrayList<>();
        long drainMs = envValues(m, DRAIN_TIMEOUT).stream()
                .mapToLong(Long::parseLong)
                .max()
                .orElse(defaultDrainMs());
        List<Doc> workloads = m.resources(WORKLOAD_KINDS.toArray(String[]::new)).toList();
        if (workloads.isEmpty()) {
            problems.add("no workload");
        }
        for (Doc d : m.docs()) {
            if (!WORKLOAD_KINDS.contains(d.kind())) {
                continue;
            }
            JsonNode grace = d.node().path("spec").path("template").path("spec").path("terminationGracePeriodSeconds");
            if (grace.isMissingNode() && d.patch()) {
                continue;
            }
            long graceMs = grace.asLong(30) * 1000; // Kubernetes' default is 30 s
            if (graceMs <= drainMs) {
                problems.add(d.origin() + ": terminationGracePeriodSeconds "
                        + (grace.isMissingNode() ? "(default 30)" : grace.asText())
                        + " s is not above the drain timeout " + drainMs + " ms (" + DRAIN_TIMEOUT + ")");
            }
        }
        return problems;
    }

    private static final Pattern METRIC = Pattern.compile("\\b(chat_bridge_[a-z0-9_]+)(\\{([^}]*)})?");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    /** Labels that Prometheus and the operator add to every scraped series. */
    private static final Set<String> TARGET_LABELS =
            Set.of("job", "namespace", "pod", "instance", "service", "endpoint", "container");

    static List<String> alertProblems(Manifests m) {
        Map<String, ChatBridgeMeters> samples = new LinkedHashMap<>();
        for (ChatBridgeMeters meter : ChatBridgeMeters.values()) {
            String name = meter.prometheusName();
            if (meter.kind() == ChatBridgeMeters.Kind.TIMER) {
                String base = name.substring(0, name.length() - "_count".length());
                Stream.of("_count", "_sum", "_bucket", "_max").forEach(s -> samples.put(base + s, meter));
            } else {
                samples.put(name, meter);
            }
        }
        List<String> problems = new ArrayList<>();
        m.resources("PrometheusRule").forEach(d -> {
            for (JsonNode group : d.node().path("spec").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    String name = rule.path("alert").asText(rule.path("record").asText());
                    Matcher metric = METRIC.matcher(rule.path("expr").asText());
                    while (metric.find()) {
                        ChatBridgeMeters meter = samples.get(metric.group(1));
                        if (meter == null) {
                            problems.add(name + ": " + metric.group(1) + " is no chat-bridge meter (docs/metrics.md)");
                            continue;
                        }
                        Matcher label = MATCHER.matcher(metric.group(3) == null ? "" : metric.group(3));
                        while (label.find()) {
                            String key = label.group(1);
                            if (TARGET_LABELS.contains(key)
                                    || key.equals("le") && metric.group(1).endsWith("_bucket")) {
                                continue;
                            }
                            MeterTag tag = meter.tags().stream()
                                    .filter(t -> t.key().equals(key))
                                    .findFirst()
                                    .orElse(null);
                            if (tag == null) {
                                problems.add(name + ": " + metric.group(1) + " has no tag " + key);
                            } else if (label.group(2).equals("=")
                                    && !tag.allowedValues().contains(label.group(3))) {
                                problems.add(name + ": " + key + "=\"" + label.group(3) + "\" is not one of "
                                        + tag.allowedValues());
                            }
                        }
                    }
                }
            }
        });
        return problems;
    }

    static List<String> composeProblems(JsonNode compose) {
        List<String> problems = new ArrayList<>();
        bridgeServices(compose).forEach((name, service) -> {
            Map<String, String> env = composeEnvironment(service.path("environment"));
            Map<String, String> where = new LinkedHashMap<>();
            env.keySet().forEach(k -> where.put(k, "docker-compose.yml service " + name));
            problems.addAll(unknownSettings(where));
            List<String> command = textValues(service.path("command"));
            if (service.path("command").isTextual()) {
                command = List.of(service.path("command").asText().trim().split("\\s+"));
            }
            boolean runs = command.isEmpty() || command.get(0).equals("run");
            if (runs) {
                long drainMs =
                        env.containsKey(DRAIN_TIMEOUT) && env.get(DRAIN_TIMEOUT).matches("\\d+")
                                ? Long.parseLong(env.get(DRAIN_TIMEOUT))
                                : defaultDrainMs();
                long graceMs = service.has("stop_grace_period")
                        ? durationMs(service.path("stop_grace_period").asText())
                        : 10_000;
                if (graceMs <= drainMs) {
                    problems.add("docker-compose.yml service " + name + ": stop_grace_period "
                            + service.path("stop_grace_period").asText("(default 10s)")
                            + " is not above the drain timeout "
                            + drainMs + " ms (" + DRAIN_TIMEOUT + ")");
                }
            }
        });
        return problems;
    }

    // ---------------------------------------------------------------------------------------
    // Reading the files
    // ---------------------------------------------------------------------------------------

    private static Manifests base() {
        return kustomizations().stream()
                .filter(m -> m.name().equals("k8s/base"))
                .findFirst()
                .orElseThrow();
    }

    /** Every directory under k8s/ with a kustomization.yaml, with everything it pulls in. */
    static List<Manifests> kustomizations() {
        try (Stream<Path> walk = Files.walk(K8S)) {
            return walk.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted()
                    .map(p -> new Manifests(
                            p.getParent().toString().replace('\\', '/'), collect(p.getParent(), new HashSet<>())))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Doc> collect(Path dir, Set<Path> seen) {
        Path kustomization = dir.resolve("kustomization.yaml");
        if (!seen.add(kustomization.toAbsolutePath().normalize())) {
            return List.of();
        }
        JsonNode k = readYaml(kustomization).get(0);
        List<Doc> docs = new ArrayList<>();
        for (String field : List.of("resources", "components")) {
            for (String entry : textValues(k.path(field))) {
                Path p = dir.resolve(entry).normalize();
                docs.addAll(Files.isDirectory(p) ? collect(p, seen) : expand(p, false));
            }
        }
        docs.addAll(expand(kustomization, false));
        for (JsonNode patch : k.path("patches")) {
            if (patch.has("path")) {
                docs.addAll(expand(dir.resolve(patch.path("path").asText()), true));
            }
        }
        for (String entry : textValues(k.path("patchesStrategicMerge"))) {
            docs.addAll(
                    entry.contains("\n")
                            ? parse(entry, kustomization + " patch", true)
                            : expand(dir.resolve(entry), true));
        }
        return docs;
    }

    /**
     * The documents of one file. A kustomization.yaml gives its inline patches and, for each ConfigMap generator, a
     * ConfigMap with its literals and env files as data.
     */
    static List<Doc> expand(Path file, boolean patch) {
        if (!file.getFileName().toString().equals("kustomization.yaml")) {
            return readYaml(file).stream()
                    .map(n -> new Doc(file.toString(), patch, n))
                    .toList();
        }
        JsonNode k = readYaml(file).get(0);
        List<Doc> docs = new ArrayList<>();
        for (JsonNode p : k.path("patches")) {
            if (p.has("patch")) {
                docs.addAll(parse(p.path("patch").asText(), file + " inline patch", true));
            }
        }
        for (JsonNode generator : k.path("configMapGenerator")) {
            ObjectNode cm = JsonNodeFactory.instance.objectNode();
            cm.put("apiVersion", "v1").put("kind", "ConfigMap");
            cm.putObject("metadata").put("name", generator.path("name").asText());
            ObjectNode data = cm.putObject("data");
            List<String> lines = new ArrayList<>(textValues(generator.path("literals")));
            for (String env : textValues(generator.path("envs"))) {
                try {
                    Files.readAllLines(file.resolveSibling(env), StandardCharsets.UTF_8).stream()
                            .filter(l -> !l.isBlank() && !l.startsWith("#"))
                            .forEach(lines::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            for (String line : lines) {
                int eq = line.indexOf('=');
                data.put(eq < 0 ? line : line.substring(0, eq), eq < 0 ? "" : line.substring(eq + 1));
            }
            docs.add(new Doc(
                    file + " configMapGenerator " + generator.path("name").asText(), false, cm));
        }
        return docs;
    }

    private static List<Doc> parse(String yaml, String origin, boolean patch) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            return it.readAll().stream()
                    .filter(JsonNode::isObject)
                    .map(n -> new Doc(origin, patch, n))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse YAML of " + origin, e);
        }
    }

    static List<JsonNode> readYaml(Path file) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            return it.readAll().stream().filter(JsonNode::isObject).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse YAML " + file, e);
        }
    }

    static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(
                            p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    /** Variable names (name -> first place) from container env, ConfigMaps and generated ConfigMaps. */
    static Map<String, String> envNames(List<Doc> docs) {
        Map<String, String> names = new LinkedHashMap<>();
        for (Doc d : docs) {
            for (JsonNode env : d.node().findValues("env")) {
                env.forEach(e -> names.putIfAbsent(e.path("name").asText(), d.origin()));
            }
            if (d.kind().equals("ConfigMap")) {
                d.node().path("data").fieldNames().forEachRemaining(n -> names.putIfAbsent(n, d.origin()));
            }
        }
        return names;
    }

    /** Every value a variable gets in the manifests: container env and ConfigMap data. */
    static Set<String> envValues(Manifests m, String name) {
        Set<String> values = new TreeSet<>();
        for (Doc d : m.docs()) {
            for (JsonNode env : d.node().findValues("env")) {
                env.forEach(e -> {
                    if (e.path("name").asText().equals(name) && e.has("value")) {
                        values.add(e.path("value").asText());
                    }
                });
            }
            if (d.kind().equals("ConfigMap") && d.node().path("data").has(name)) {
                values.add(d.node().path("data").path(name).asText());
            }
        }
        return values;
    }

    /**
     * Keys a KAFKA_* variable may set: Kafka's producer, consumer, admin, Streams and topic settings (also under
     * Streams' client prefixes) and the registry client's and serde's keys.
     */
    static Set<String> knownKafkaKeys() {
        Set<String> clientKeys = new TreeSet<>();
        clientKeys.addAll(ProducerConfig.configNames());
        clientKeys.addAll(ConsumerConfig.configNames());
        clientKeys.addAll(AdminClientConfig.configNames());
        Set<String> keys = new TreeSet<>(clientKeys);
        keys.addAll(StreamsConfig.configDef().names());
        for (String prefix : Redaction.CLIENT_PREFIXES) {
            clientKeys.forEach(k -> keys.add(prefix + k));
        }
        for (Class<?> holder : List.of(TopicConfig.class, RegistryClientConfig.class, AvroSerdeConfig.class)) {
            for (Field f : holder.getFields()) {
                boolean key = holder == TopicConfig.class
                        ? f.getName().endsWith("_CONFIG")
                        : !f.getName().endsWith("_DOC");
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class && key) {
                    try {
                        String name = (String) f.get(null);
                        if (!name.startsWith(ChatBridgeConfig.PREFIX)) {
                            keys.add(holder == TopicConfig.class ? StreamsConfig.TOPIC_PREFIX + name : name);
                        }
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return keys;
    }

    private static long defaultDrainMs() {
        return ((Number) ChatBridgeConfig.DEFINITION
                        .configKeys()
                        .get(ChatBridgeConfig.SHUTDOWN_DRAIN_TIMEOUT)
                        .defaultValue)
                .longValue();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|ns)");

    /** A compose duration such as 1m30s, 90s or 500ms. */
    static long durationMs(String text) {
        Matcher m = DURATION.matcher(text.trim());
        double ms = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            ms += switch (m.group(2)) {
                case "h" -> n * 3_600_000;
                case "m" -> n * 60_000;
                case "s" -> n * 1000;
                case "ms" -> n;
                default -> n / 1000;
            };
            end = m.end();
        }
        if (end == 0 || end != text.trim().length()) {
            throw new IllegalArgumentException("not a compose duration: " + text);
        }
        return (long) ms;
    }

    /** Compose services that run the chat-bridge image (built here, or named chat-bridge). */
    static Map<String, JsonNode> bridgeServices(JsonNode compose) {
        Map<String, JsonNode> services = new LinkedHashMap<>();
        compose.path("services").properties().forEach(e -> {
            JsonNode s = e.getValue();
            if (s.has("build") || s.path("image").asText().contains("chat-bridge")) {
                services.put(e.getKey(), s);
            }
        });
        return services;
    }

    private static Map<String, String> composeEnvironment(JsonNode environment) {
        Map<String, String> env = new LinkedHashMap<>();
        if (environment.isObject()) {
            environment
                    .properties()
                    .forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        } else {
            for (String entry : textValues(environment)) {
                int eq = entry.indexOf('=');
                env.put(eq < 0 ? entry : entry.substring(0, eq), eq < 0 ? "" : entry.substring(eq + 1));
            }
        }
        return env;
    }

    private static List<String> textValues(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(n -> values.add(n.asText()));
        return values;
    }

    private static void expect(List<String> problems, Doc d, String what, boolean ok) {
        if (!ok) {
            problems.add(d.origin() + ": " + d.kind() + " needs " + what);
        }
    }

    // Mutators for the broken copies (of the base).

    private static JsonNode first(Manifests m, String kind) {
        return m.resources(kind).findFirst().orElseThrow().node();
    }

    private static ObjectNode podSpec(Manifests m) {
        return (ObjectNode) first(m, "Deployment").path("spec").path("template").path("spec");
    }

    private static ObjectNode container(Manifests m) {
        return (ObjectNode) podSpec(m).path("containers").get(0);
    }

    private static ObjectNode podSecurity(Manifests m) {
        return (ObjectNode) podSpec(m).path("securityContext");
    }

    private static ObjectNode containerSecurity(Manifests m) {
        return (ObjectNode) container(m).path("securityContext");
    }

    private static ObjectNode probe(Manifests m, String probe) {
        return (ObjectNode) container(m).path(probe).path("httpGet");
    }

    private static ObjectNode configMap(Manifests m) {
        return (ObjectNode) first(m, "ConfigMap").path("data");
    }

    private static ObjectNode rule(Manifests m) {
        return (ObjectNode) first(m, "PrometheusRule")
                .path("spec")
                .path("groups")
                .get(0)
                .path("rules")
                .get(0);
    }

    private static void addEnv(Manifests m, String name, String value) {
        ((ArrayNode) container(m).path("env")).addObject().put("name", name).put("value", value);
    }

    private static void setEnv(Manifests m, String name, String value) {
        for (JsonNode e : container(m).path("env")) {
            if (e.path("name").asText().equals(name)) {
                ((ObjectNode) e).put("value", value);
                return;
            }
        }
        configMap(m).put(name, value);
    }

    private static void addPatch(Manifests m, String json) {
        try {
            m.docs().add(new Doc("test patch", true, YAML.readTree(json)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
