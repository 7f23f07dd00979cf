import { readFileSync } from "node:fs";
import { Chart, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KINDS } from "../crds/crd.ts";
import { CLUSTER_RULES, LEADER_ELECTION_RULES, type PolicyRule, WATCHED_NAMESPACE_RULES } from "../operator/rbac.ts";
import { renderManifests } from "./main.ts";
import { FederationOperator, type FederationOperatorProps } from "./operator-install.ts";
import { OperatorRbac } from "./operator-rbac.ts";
import * as kplus from "cdk8s-plus-27";

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

function install(props: FederationOperatorProps = {}): KubeObject[] {
  const chart = new Chart(Testing.app(), "install");
  new FederationOperator(chart, "operator", props);
  return Testing.synth(chart) as KubeObject[];
}

function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${found.length}`);
  return found[0]!;
}

// The shapes read below, typed just enough for the assertions.
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
}
interface Workload extends KubeObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const workloads = (objects: KubeObject[]) => objects.filter((o): o is Workload => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind));
const containersOf = (pod: PodSpec) => [...pod.containers, ...(pod.initContainers ?? [])];
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** RBAC rules as a set of "group/resource/name:verb" grants, so that rule layout does not matter. */
function grants(rules: readonly PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) for (const n of r.resourceNames?.length ? r.resourceNames : ["*"]) for (const v of r.verbs) out.add(`${g}/${res}/${n}:${v}`);
  return [...out].sort();
}

describe("FederationOperator", () => {
  it("synthesizes byte-identical manifests on every run", () => {
    const first = renderManifests();
    const second = renderManifests();
    expect([...first.keys()]).toEqual(["install.yaml", "example-backend.yaml"]);
    for (const [file, text] of first) expect(second.get(file), file).toBe(text);
  });

  it("runs every container non-root, read-only, without capabilities or privilege escalation, under seccomp RuntimeDefault", () => {
    const objects = install();
    const found = workloads(objects);
    expect(found.map((w) => w.kind)).toEqual(["Deployment"]);
    for (const workload of found) {
      const pod = workload.spec.template.spec;
      for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        expect(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, c.name).toBe(true);
        expect(sc.runAsUser, c.name).not.toBe(0);
        expect(sc.readOnlyRootFilesystem, c.name).toBe(true);
        expect(sc.allowPrivilegeEscalation, c.name).toBe(false);
        expect(sc.privileged ?? false, c.name).toBe(false);
        expect(sc.capabilities?.drop, c.name).toEqual(["ALL"]);
        expect(sc.capabilities?.add ?? [], c.name).toEqual([]);
        expect((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, c.name).toBe("RuntimeDefault");
        expect(Object.keys(c.resources?.requests ?? {}).sort(), c.name).toEqual(["cpu", "memory"]);
        expect(Object.keys(c.resources?.limits ?? {}).sort(), c.name).toEqual(["cpu", "memory"]);
      }
      expect(pod.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    }
  });

  it("runs two replicas of the operator with its service account token, probes and metrics port", () => {
    const objects = install();
    const deployment = only(objects, "Deployment") as Workload;
    expect(deployment.metadata).toMatchObject({ name: "wire-federation-operator", namespace: "wire-federation-system" });
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe(only(objects, "ServiceAccount").metadata.name);
    const [c] = pod.containers;
    expect(c?.image).toBe("ghcr.io/wire-federation-operator/operator:0.1.0");
    expect(c?.ports).toEqual([expect.objectContaining({ name: "http", containerPort: 8080 })]);
    expect(c?.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: 8080 });
    expect(c?.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: 8080 });
    expect(pod.containers.map((x) => x.name)).toEqual(["operator"]);
  });

  it("starts the operator with the flags and environment of its command line", () => {
    const deployment = only(install({ namespace: "ops", watchedNamespaces: ["wire-a", "wire-b"] }), "Deployment") as Workload;
    const c = deployment.spec.template.spec.containers[0]!;
    expect(c.command).toEqual(["node", "--max-semi-space-size=1", "--optimize-for-size", "operator/main.js"]);
    expect(c.args).toEqual(["--namespaces=wire-a,wire-b", "--leader-election-namespace=ops", "--listen=0.0.0.0:8080", "--federator-image=ghcr.io/wire-federation-operator/federator:0.1.0"]);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toEqual({ POD_NAME: "metadata.name", POD_NAMESPACE: "metadata.namespace", LOG_LEVEL: "info" });
    const chosen = only(install({ federatorImage: "registry.example/federator:2", allowedFederatorImages: ["registry.example/federator:3"] }), "Deployment") as Workload;
    expect(chosen.spec.template.spec.containers[0]!.args).toEqual(expect.arrayContaining(["--federator-image=registry.example/federator:2", "--allowed-federator-images=registry.example/federator:3"]));
  });

  it("keeps one operator pod through voluntary disruptions and exposes metrics on a Service that selects its pods", () => {
    const objects = install();
    const deployment = only(objects, "Deployment") as Workload;
    const podLabels = deployment.spec.template.metadata.labels;
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    const pdb = only(objects, "PodDisruptionBudget") as KubeObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
    expect(pdb.spec.minAvailable).toBe(1);
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = only(objects, "Service") as KubeObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: number | string }[] } };
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 8080 })]);
    // Nothing derived from the construct tree leaks into pod labels (it would roll pods on a refactor).
    expect(Object.keys(podLabels).filter((k) => k.startsWith("cdk8s.io/"))).toEqual([]);
  });

  it("grants exactly the operator's RBAC list: watched namespaces, leader election, GatewayClasses read cluster-wide", () => {
    const objects = install({ namespace: "ops", watchedNamespaces: ["wire-a", "wire-b"] });
    const roles = objects.filter((o) => o.kind === "Role") as (KubeObject & { rules: PolicyRule[] })[];
    const byNamespace = Object.fromEntries(roles.map((r) => [r.metadata.namespace, grants(r.rules)]));
    expect(byNamespace).toEqual({
      "wire-a": grants(WATCHED_NAMESPACE_RULES),
      "wire-b": grants(WATCHED_NAMESPACE_RULES),
      ops: grants(LEADER_ELECTION_RULES),
    });
    expect(CLUSTER_RULES).toEqual([{ apiGroups: ["gateway.networking.k8s.io"], resources: ["gatewayclasses"], verbs: ["get", "list", "watch"] }]);
    const clusterRole = only(objects, "ClusterRole") as KubeObject & { rules: PolicyRule[] };
    expect(clusterRole.metadata.name).toBe("wire-federation-operator:ops");
    expect(grants(clusterRole.rules)).toEqual(grants(CLUSTER_RULES));
    expect(only(objects, "ClusterRoleBinding").metadata.name).toBe("wire-federation-operator:ops");
    const bindings = objects.filter((o) => o.kind === "RoleBinding") as (KubeObject & {
      roleRef: { kind: string; name: string };
      subjects: { kind: string; name: string; namespace: string }[];
    })[];
    expect(bindings).toHaveLength(3);
    for (const binding of bindings) {
      const role = roles.find((r) => r.metadata.namespace === binding.metadata.namespace);
      expect(binding.roleRef).toMatchObject({ kind: "Role", name: role?.metadata.name });
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: "ServiceAccount", name: "wire-federation-operator", namespace: "ops" })]);
    }
  });

  it("renders cluster-wide rules, when there are any, as exactly one ClusterRole bound to the service account", () => {
    const chart = new Chart(Testing.app(), "rbac");
    const rules: PolicyRule[] = [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"], resourceNames: ["a", "b"] }];
    const serviceAccount = new kplus.ServiceAccount(chart, "sa", { metadata: { name: "op", namespace: "ops" } });
    new OperatorRbac(chart, "rbac", { name: "op", namespace: "ops", watchedNamespaces: [], serviceAccount, labels: {}, rules: { watchedNamespace: [], leaderElection: [], cluster: rules } });
    const objects = Testing.synth(chart) as KubeObject[];
    expect(grants((only(objects, "ClusterRole") as KubeObject & { rules: PolicyRule[] }).rules)).toEqual(grants(rules));
    expect(only(objects, "ClusterRoleBinding")).toMatchObject({ roleRef: { kind: "ClusterRole", name: "op:ops" }, subjects: [{ kind: "ServiceAccount", name: "op", namespace: "ops" }] });
  });

  it("installs the CRDs that crds/*.yaml holds", () => {
    const crds = install().filter((o) => o.kind === "CustomResourceDefinition");
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(KINDS.map((k) => `${k.plural}.federation.wire.com`).sort());
    for (const def of KINDS) {
      const committed = parse(readFileSync(new URL(`../crds/${def.plural}.yaml`, import.meta.url), "utf8")) as KubeObject;
      const rendered = crds.find((c) => c.metadata.name === committed.metadata.name)!;
      expect(rendered.spec).toEqual(committed["spec"]);
    }
  });

  it("leaves out the namespace and the CRDs when asked to", () => {
    const kinds = install({ createNamespace: false, installCrds: false }).map((o) => o.kind);
    expect(kinds).not.toContain("Namespace");
    expect(kinds).not.toContain("CustomResourceDefinition");
  });

  it("refuses props that would produce a broken install, naming the prop", () => {
    expect(() => install({ watchedNamespaces: ["Wire"] })).toThrow(/watchedNamespaces\[0\]: must be a lower-case RFC 1123 label/);
    expect(() => install({ watchedNamespaces: [] })).toThrow(/watchedNamespaces:/);
    expect(() => install({ watchedNamespaces: ["a", "a"] })).toThrow(/watchedNamespaces: must not repeat a namespace/);
    expect(() => install({ replicas: 0 })).toThrow(/replicas:/);
  });
});

describe("FederationOperator monitoring", () => {
  it("ships no PrometheusRule or dashboard unless asked, and both when asked", () => {
    expect(install().filter((o) => o.kind === "PrometheusRule" || o.metadata.labels?.["grafana_dashboard"] === "1")).toEqual([]);
    const objects = install({ monitoring: { alerts: true, dashboard: true } });
    const rule = only(objects, "PrometheusRule") as KubeObject & { spec: { groups: { rules: { alert: string }[] }[] } };
    expect(rule.spec.groups[0]!.rules.map((r) => r.alert)).toContain("FederationPeerRejected");
    const dashboard = only(objects, "ConfigMap", "wire-federation-operator-dashboard") as KubeObject & { data: Record<string, string> };
    expect(dashboard.metadata.labels?.["grafana_dashboard"]).toBe("1");
    expect(JSON.parse(dashboard.data["wire-federation.json"]!)).toMatchObject({ uid: "wire-federation" });
  });
});
