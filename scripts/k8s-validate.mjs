// Validates rendered Kubernetes manifests (multi-document YAML files from `kubectl kustomize`).
// Run by scripts/k8s-validate, which installs the npm packages this imports into a cache folder
// (target/k8s-validate/node_modules) and passes the rendered files:
//
//   node scripts/k8s-validate.mjs --schemas k8s/schemas NAME=FILE...
//
// - Built-in kinds: kubernetes-models' JSON-schema validators (one class per apiVersion/kind,
//   generated from the Kubernetes OpenAPI spec): types, enums, required fields, int32/int64.
//   They do not reject unknown fields (the OpenAPI spec has no additionalProperties: false).
// - CRD kinds (KEDA, prometheus-operator): the openAPIV3Schema vendored under k8s/schemas
//   (see its README for the source commits), compiled with ajv. Unknown fields are rejected, as
//   the API server's strict field validation would, except under
//   x-kubernetes-preserve-unknown-fields. metadata is checked with the ObjectMeta validator of
//   kubernetes-models. CEL rules (x-kubernetes-validations) are not evaluated.
// - Consistency of the rendered set: the ScaledObject follows the ConfigMap (partition count,
//   bootstrap servers, consumer group, topic) and targets the Deployment; the PrometheusRule's
//   job, topic and in-flight limit match the Service and the ConfigMap.
// - Self-test: broken copies of the real objects must be rejected (so the checks can fail).
//
// Exit status 0 when every object of every file is valid and every self-test mutation failed.

import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";
import { validate as validateObjectMeta } from "@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta";

// Defaults of the settings the consistency checks read (docs/configuration.md).
const DEFAULTS = {
  CHAT_BRIDGE_TOPICS_PARTITIONS: "6",
  CHAT_BRIDGE_TOPICS_REQUESTS: "chat-requests",
  CHAT_BRIDGE_MAX_IN_FLIGHT: "64",
  KAFKA_APPLICATION_ID: "chat-bridge",
};

function parseArgs(argv) {
  const out = { schemas: null, inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--schemas") out.schemas = argv[++i];
    else {
      const eq = argv[i].indexOf("=");
      if (eq < 1) throw new Error(`expected NAME=FILE, got ${argv[i]}`);
      out.inputs.push({ name: argv[i].slice(0, eq), file: argv[i].slice(eq + 1) });
    }
  }
  if (!out.schemas || out.inputs.length === 0) {
    throw new Error("usage: k8s-validate.mjs --schemas DIR NAME=FILE...");
  }
  return out;
}

// ---- CRD schemas -------------------------------------------------------------------------

/** Unknown fields are errors, as with the API server's strict field validation. */
function strictify(schema) {
  if (Array.isArray(schema)) return schema.map(strictify);
  if (schema === null || typeof schema !== "object") return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === "properties" ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strictify(s)])) : strictify(v);
  }
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

function collectFormats(schema, into) {
  if (Array.isArray(schema)) schema.forEach((s) => collectFormats(s, into));
  else if (schema && typeof schema === "object") {
    if (typeof schema.format === "string") into.add(schema.format);
    Object.values(schema).forEach((s) => collectFormats(s, into));
  }
}

/**
 * CRD patterns are Go (RE2) regular expressions. The one RE2 construct they use that JavaScript
 * lacks is a leading (?i); it becomes the i flag. Any other (?flags) is refused, not ignored.
 */
function re2Compatible(pattern, flags) {
  const m = pattern.match(/^(\^?)\(\?([a-z]+)\)(.*)$/s);
  if (m) {
    if (m[2] !== "i") throw new Error(`unsupported RE2 flags (?${m[2]}) in pattern ${pattern}`);
    return new RegExp(m[1] + m[3], flags + "i");
  }
  return new RegExp(pattern, flags);
}
re2Compatible.code = "re2Compatible";

function loadCrdValidators(dir) {
  const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: re2Compatible } });
  const formats = new Set();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  const raw = files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  raw.forEach((r) => collectFormats(r.openAPIV3Schema, formats));
  const unchecked = [];
  for (const f of formats) {
    if (f === "int32") ajv.addFormat(f, { type: "number", validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    else if (f === "int64") ajv.addFormat(f, { type: "number", validate: (n) => Number.isInteger(n) });
    else {
      ajv.addFormat(f, true);
      unchecked.push(f);
    }
  }
  const validators = new Map();
  for (const r of raw) {
    const schema = strictify(r.openAPIV3Schema);
    // metadata: the CRD says only "object"; ObjectMeta's own validator checks it below.
    if (schema.properties?.metadata) schema.properties.metadata = { type: "object" };
    validators.set(`${r.apiVersion}/${r.kind}`, { validate: ajv.compile(schema), source: r.source });
  }
  return { validators, unchecked };
}

// ---- validation of one object ------------------------------------------------------------

const builtinCache = new Map();

async function builtinModel(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!builtinCache.has(key)) {
    let cls = null;
    try {
      const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
      cls = mod[kind] ?? null;
    } catch {
      cls = null;
    }
    builtinCache.set(key, cls);
  }
  return builtinCache.get(key);
}

function ajvErrors(errors) {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? ` (${e.params.additionalProperty})` : "";
    return `${e.instancePath || "/"} ${e.message}${extra}`;
  });
}

/** Problems of one object against its schema; [] when valid. */
async function schemaProblems(doc, crds) {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return ["not an object"];
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion or kind missing"];
  const crd = crds.get(`${apiVersion}/${kind}`);
  if (crd) {
    const problems = [];
    if (!crd.validate(doc)) problems.push(...ajvErrors(crd.validate.errors));
    if (!validateObjectMeta(doc.metadata ?? {}, { instancePath: "/metadata" })) {
      problems.push(...ajvErrors(validateObjectMeta.errors));
    }
    return problems;
  }
  const Model = await builtinModel(apiVersion, kind);
  if (!Model) return [`no schema for ${apiVersion} ${kind} (neither built in nor in k8s/schemas)`];
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    return String(e.message ?? e).split("\n").filter((l) => l.trim());
  }
}

// ---- consistency of a rendered set -------------------------------------------------------

function consistencyProblems(docs) {
  const problems = [];
  const of = (kind) => docs.filter((d) => d?.kind === kind);
  const deployments = of("Deployment");
  const services = of("Service");
  const configMaps = new Map(of("ConfigMap").map((c) => [c.metadata?.name, c.data ?? {}]));
  const deployment = deployments[0];
  const container = deployment?.spec?.template?.spec?.containers?.[0];
  const cmName = container?.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
  if (!deployment || !cmName || !configMaps.has(cmName)) {
    return ["no Deployment whose container takes its settings from a ConfigMap of the same render"];
  }
  const cm = configMaps.get(cmName);
  const setting = (k) => cm[k] ?? DEFAULTS[k];

  for (const so of of("ScaledObject")) {
    const where = `ScaledObject ${so.metadata?.name}`;
    if (so.spec?.scaleTargetRef?.name !== deployment.metadata?.name) {
      problems.push(`${where}: scaleTargetRef.name ${so.spec?.scaleTargetRef?.name} is not the Deployment ${deployment.metadata?.name}`);
    }
    if (String(so.spec?.maxReplicaCount) !== String(setting("CHAT_BRIDGE_TOPICS_PARTITIONS"))) {
      problems.push(`${where}: maxReplicaCount ${so.spec?.maxReplicaCount} != CHAT_BRIDGE_TOPICS_PARTITIONS ${setting("CHAT_BRIDGE_TOPICS_PARTITIONS")} (the input partition count)`);
    }
    for (const t of (so.spec?.triggers ?? []).filter((t) => t.type === "kafka")) {
      const m = t.metadata ?? {};
      if (m.bootstrapServers !== cm.KAFKA_BOOTSTRAP_SERVERS) problems.push(`${where}: bootstrapServers ${m.bootstrapServers} != KAFKA_BOOTSTRAP_SERVERS ${cm.KAFKA_BOOTSTRAP_SERVERS}`);
      if (m.consumerGroup !== setting("KAFKA_APPLICATION_ID")) problems.push(`${where}: consumerGroup ${m.consumerGroup} != KAFKA_APPLICATION_ID ${setting("KAFKA_APPLICATION_ID")}`);
      if (m.topic !== setting("CHAT_BRIDGE_TOPICS_REQUESTS")) problems.push(`${where}: topic ${m.topic} != CHAT_BRIDGE_TOPICS_REQUESTS ${setting("CHAT_BRIDGE_TOPICS_REQUESTS")}`);
    }
  }

  const serviceNames = new Set(services.map((s) => s.metadata?.name));
  for (const rule of of("PrometheusRule")) {
    for (const r of (rule.spec?.groups ?? []).flatMap((g) => g.rules ?? [])) {
      const where = `PrometheusRule ${rule.metadata?.name} ${r.alert ?? r.record}`;
      const expr = String(r.expr ?? "");
      for (const [, job] of expr.matchAll(/job="([^"]*)"/g)) {
        if (!serviceNames.has(job)) problems.push(`${where}: job="${job}" is no Service of this render (the ServiceMonitor's job label is the Service name)`);
      }
      for (const [, topic] of expr.matchAll(/topic="([^"]*)"/g)) {
        if (topic !== setting("CHAT_BRIDGE_TOPICS_REQUESTS")) problems.push(`${where}: topic="${topic}" != CHAT_BRIDGE_TOPICS_REQUESTS ${setting("CHAT_BRIDGE_TOPICS_REQUESTS")}`);
      }
      if (expr.includes("chat_bridge_in_flight_calls")) {
        const m = expr.match(/\*\s*(\d+)\s*$/);
        if (!m || m[1] !== String(setting("CHAT_BRIDGE_MAX_IN_FLIGHT"))) {
          problems.push(`${where}: in-flight limit ${m?.[1]} != CHAT_BRIDGE_MAX_IN_FLIGHT ${setting("CHAT_BRIDGE_MAX_IN_FLIGHT")}`);
        }
      }
    }
  }
  return problems;
}

// ---- self-test: broken copies must be rejected -------------------------------------------

const MUTATIONS = [
  ["Deployment spec.replicas: \"x\"", "Deployment", (d) => { d.spec.replicas = "x"; }],
  ["Deployment liveness probe without port", "Deployment", (d) => { delete d.spec.template.spec.containers[0].livenessProbe.httpGet.port; }],
  ["Deployment containerPort \"9404\"", "Deployment", (d) => { d.spec.template.spec.containers[0].ports[0].containerPort = "9404"; }],
  ["Service port \"ops\" as port number", "Service", (d) => { d.spec.ports[0].port = "ops"; }],
  ["PodDisruptionBudget selector as a string", "PodDisruptionBudget", (d) => { d.spec.selector = "app=chat-bridge"; }],
  ["ScaledObject maxReplicaCount: \"six\"", "ScaledObject", (d) => { d.spec.maxReplicaCount = "six"; }],
  ["ScaledObject unknown field spec.maxReplicas", "ScaledObject", (d) => { d.spec.maxReplicas = 6; }],
  ["ScaledObject trigger without type", "ScaledObject", (d) => { delete d.spec.triggers[0].type; }],
  ["ServiceMonitor endpoint port as a number", "ServiceMonitor", (d) => { d.spec.endpoints[0].port = 9404; }],
  ["PrometheusRule rule without expr", "PrometheusRule", (d) => { delete d.spec.groups[0].rules[0].expr; }],
  ["metadata.name as a number", "PrometheusRule", (d) => { d.metadata.name = 7; }],
];

const CONSISTENCY_MUTATIONS = [
  ["ScaledObject maxReplicaCount != partitions", "ScaledObject", (d) => { d.spec.maxReplicaCount += 1; }],
  ["ScaledObject topic != CHAT_BRIDGE_TOPICS_REQUESTS", "ScaledObject", (d) => { d.spec.triggers[0].metadata.topic = "other"; }],
  ["PrometheusRule in-flight limit != CHAT_BRIDGE_MAX_IN_FLIGHT", "PrometheusRule", (d) => {
    for (const r of d.spec.groups.flatMap((g) => g.rules)) {
      if (String(r.expr).includes("chat_bridge_in_flight_calls")) r.expr = String(r.expr).replace(/\d+\s*$/, "65");
    }
  }],
];

async function selfTest(docs, crds) {
  const failures = [];
  let run = 0;
  for (const [what, kind, mutate] of MUTATIONS) {
    const original = docs.find((d) => d?.kind === kind);
    if (!original) continue;
    const copy = structuredClone(original);
    mutate(copy);
    run++;
    if ((await schemaProblems(copy, crds)).length === 0) failures.push(`not rejected: ${what}`);
  }
  for (const [what, kind, mutate] of CONSISTENCY_MUTATIONS) {
    const index = docs.findIndex((d) => d?.kind === kind);
    if (index < 0) continue;
    const copy = docs.map((d) => structuredClone(d));
    mutate(copy[index]);
    run++;
    if (consistencyProblems(copy).length === 0) failures.push(`not rejected: ${what}`);
  }
  return { run, failures };
}

// ---- main --------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { validators: crds, unchecked } = loadCrdValidators(args.schemas);
  console.log(`CRD schemas: ${[...crds.keys()].join(", ")}`);
  if (unchecked.length) console.log(`(string formats not checked: ${unchecked.join(", ")})`);
  let bad = 0;
  let total = 0;
  let selfTestDocs = null;
  for (const { name, file } of args.inputs) {
    const parsed = parseAllDocuments(fs.readFileSync(file, "utf8"));
    const docs = [];
    let fileBad = 0;
    for (const d of parsed) {
      if (d.errors.length) {
        console.log(`FAIL ${name}: YAML: ${d.errors.map((e) => e.message).join("; ")}`);
        fileBad++;
        continue;
      }
      const js = d.toJS();
      if (js != null) docs.push(js);
    }
    const kinds = [];
    for (const doc of docs) {
      total++;
      const problems = await schemaProblems(doc, crds);
      const id = `${doc?.kind ?? "?"}/${doc?.metadata?.name ?? "?"}`;
      kinds.push(doc?.kind);
      if (problems.length) {
        fileBad++;
        console.log(`FAIL ${name}: ${id} (${doc?.apiVersion}):`);
        problems.slice(0, 20).forEach((p) => console.log(`       ${p}`));
      }
    }
    for (const p of consistencyProblems(docs)) {
      fileBad++;
      console.log(`FAIL ${name}: consistency: ${p}`);
    }
    bad += fileBad;
    console.log(`${fileBad ? "FAIL" : "ok  "} ${name}: ${docs.length} objects (${kinds.join(", ")})`);
    if (!selfTestDocs || docs.length > selfTestDocs.length) selfTestDocs = docs;
  }
  const { run, failures } = await selfTest(selfTestDocs ?? [], crds);
  failures.forEach((f) => console.log(`FAIL self-test: ${f}`));
  console.log(`self-test: ${run - failures.length} of ${run} broken copies rejected`);
  console.log(`${total} objects in ${args.inputs.length} renders: ${bad === 0 && failures.length === 0 ? "all valid" : `${bad} problem(s), ${failures.length} self-test failure(s)`}`);
  process.exit(bad === 0 && failures.length === 0 && run > 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`k8s-validate: ${e.stack ?? e}`);
  process.exit(2);
});
