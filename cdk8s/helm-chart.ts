// The Helm chart of the operator (`npm run chart` → dist/chart/), generated from the FederationOperator
// construct so that it cannot drift from dist/install.yaml: the construct is synthesized once with a
// sentinel for every prop, and each sentinel in the YAML becomes the template expression of its value.
// The values and their JSON schema are the construct's props (zod), so Helm refuses a bad value by name.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Chart, Testing, Yaml } from "cdk8s";
import { stringify } from "yaml";
import { z } from "zod";
import { FederationOperator, FederationOperatorPropsSchema, OPERATOR_NAME, type FederationOperatorProps } from "./operator-install.ts";

export const CHART_VERSION = "0.1.0";

/** The chart's values: the construct's props but `installCrds` (Helm installs crds/ itself; `--skip-crds`). */
export const ChartValues = FederationOperatorPropsSchema.omit({ installCrds: true });
export type ChartValues = z.output<typeof ChartValues>;

/** A value for each prop that occurs nowhere else in the synthesized YAML, and what replaces it. */
const SENTINELS = {
  namespace: "sentinel-operator-namespace",
  watched: "sentinel-watched-namespace",
  image: "sentinel-operator-image",
  federatorImage: "sentinel-federator-image",
  allowed: "sentinel-allowed-image",
  replicas: 9,
  logLevel: "trace",
  resources: { cpuRequestMillis: 7001, cpuLimitMillis: 7003, memoryRequestMiB: 7005, memoryLimitMiB: 7007 },
} as const;

const SENTINEL_PROPS: FederationOperatorProps = {
  namespace: SENTINELS.namespace,
  createNamespace: true,
  watchedNamespaces: [SENTINELS.watched],
  image: SENTINELS.image,
  federatorImage: SENTINELS.federatorImage,
  allowedFederatorImages: [SENTINELS.allowed],
  replicas: SENTINELS.replicas,
  installCrds: true,
  logLevel: SENTINELS.logLevel,
  resources: SENTINELS.resources,
  monitoring: { alerts: true, dashboard: true },
};

/** Exact text → template, in this order (longer sentinels first where one contains another). */
const SUBSTITUTIONS: readonly (readonly [RegExp, string])[] = [
  [/^(\s*)- --allowed-federator-images=sentinel-allowed-image$/m, `$1{{- if $.Values.allowedFederatorImages }}\n$1- --allowed-federator-images={{ join "," $.Values.allowedFederatorImages }}\n$1{{- end }}`],
  [/--namespaces=sentinel-watched-namespace/, `--namespaces={{ join "," $.Values.watchedNamespaces }}`],
  [/sentinel-watched-namespace/g, "{{ . }}"],
  [/sentinel-operator-namespace/g, "{{ $.Values.namespace }}"],
  [/: sentinel-operator-image$/m, ": {{ $.Values.image | quote }}"],
  [/sentinel-federator-image/g, "{{ $.Values.federatorImage }}"],
  [/^(\s*)replicas: 9$/m, "$1replicas: {{ $.Values.replicas }}"],
  [/^(\s*)value: trace$/m, "$1value: {{ $.Values.logLevel | quote }}"],
  [/: 7001m$/m, ': {{ printf "%dm" (int $.Values.resources.cpuRequestMillis) | quote }}'],
  [/: 7003m$/m, ': {{ printf "%dm" (int $.Values.resources.cpuLimitMillis) | quote }}'],
  [/: 7005Mi$/m, ': {{ printf "%dMi" (int $.Values.resources.memoryRequestMiB) | quote }}'],
  [/: 7007Mi$/m, ': {{ printf "%dMi" (int $.Values.resources.memoryLimitMiB) | quote }}'],
];

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
}

/** Helm would read `{{ … }}` in alert descriptions and dashboard legends as its own: print them literally. */
function escapeTemplates(text: string): string {
  return text.replace(/\{\{|\}\}/g, (braces) => `{{ "${braces}" }}`);
}

/** The condition a manifest is rendered under, if any. */
function conditionOf(manifest: Manifest): string | undefined {
  if (manifest.kind === "Namespace") return "$.Values.createNamespace";
  if (manifest.kind === "PrometheusRule") return "$.Values.monitoring.alerts";
  if (manifest.kind === "ConfigMap" && manifest.metadata.labels?.["grafana_dashboard"] === "1") return "$.Values.monitoring.dashboard";
  return undefined;
}

function template(manifest: Manifest): string {
  let text = escapeTemplates(Yaml.stringify(manifest));
  for (const [pattern, replacement] of SUBSTITUTIONS) text = text.replace(pattern, replacement);
  const left = /sentinel-|7001m|7003m|7005Mi|7007Mi/.exec(text);
  if (left !== null) throw new Error(`helm chart: ${manifest.kind} ${manifest.metadata.name} still holds a sentinel near "${text.slice(left.index, left.index + 40)}"`);
  // Objects of the watched namespaces (Role, RoleBinding) once per namespace.
  if (manifest.metadata.namespace === SENTINELS.watched) text = `{{- range $.Values.watchedNamespaces }}\n---\n${text}{{- end }}\n`;
  const condition = conditionOf(manifest);
  return condition === undefined ? text : `{{- if ${condition} }}\n${text}{{- end }}\n`;
}

function fileName(manifest: Manifest, index: number): string {
  const name = manifest.kind === "Namespace" ? "" : manifest.metadata.name.replace(new RegExp(`^${OPERATOR_NAME}-?`), "") || "operator";
  return `${String(index).padStart(2, "0")}-${[manifest.kind.toLowerCase(), name].filter((part) => part !== "").join("-")}.yaml`;
}

const README = `# wire-federation-operator

The Kubernetes operator for Wire server federation: it reconciles FederationConfig and FederationPeer
resources into the Federation Ingress, certificates, the federator and brig's federation remotes.

Generated by \`npm run chart\` from the FederationOperator cdk8s construct (the same objects as
dist/install.yaml for the same settings). Values are validated by values.schema.json.

    helm install wire-federation ./dist/chart --set watchedNamespaces='{wire}'
    helm upgrade wire-federation ./dist/chart --reuse-values --set replicas=3
    helm uninstall wire-federation      # CRDs (crds/) and the backends' Secrets stay
`;

/** The chart's files, path relative to the chart's directory → content. */
export function helmChart(): Map<string, string> {
  // A prop without a sentinel would be rendered as a constant: the chart would ignore its value.
  const missing = Object.keys(ChartValues.shape).filter((prop) => !(prop in SENTINEL_PROPS));
  if (missing.length > 0) throw new Error(`helm chart: no sentinel for FederationOperator prop(s) ${missing.join(", ")} (cdk8s/helm-chart.ts)`);
  const chart = new Chart(Testing.app(), "install");
  new FederationOperator(chart, "operator", SENTINEL_PROPS);
  const manifests = chart.toJson() as Manifest[];
  const files = new Map<string, string>();
  files.set(
    "Chart.yaml",
    stringify({
      apiVersion: "v2",
      name: OPERATOR_NAME,
      description: "Kubernetes operator for Wire server federation (FederationConfig, FederationPeer)",
      type: "application",
      version: CHART_VERSION,
      appVersion: CHART_VERSION,
    }),
  );
  files.set("values.yaml", `# Defaults of the FederationOperator construct (cdk8s/operator-install.ts); see values.schema.json.\n${stringify(ChartValues.parse({}))}`);
  files.set("values.schema.json", `${JSON.stringify(z.toJSONSchema(ChartValues, { io: "input", unrepresentable: "throw" }), null, 2)}\n`);
  files.set("README.md", README);
  let index = 0;
  for (const manifest of manifests) {
    if (manifest.kind === "CustomResourceDefinition") files.set(`crds/${manifest.metadata.name}.yaml`, Yaml.stringify(manifest));
    else files.set(`templates/${fileName(manifest, index++)}`, template(manifest));
  }
  return files;
}

/** Writes the chart into `dir`, replacing what was there. */
export function writeHelmChart(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of helmChart()) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string", default: "dist/chart" } } });
  const dir = resolve(values.out);
  writeHelmChart(dir);
  console.log(`wrote ${dir}`);
}
