// The generated Helm chart through a real helm (v3.22, built from the Go module proxy by
// e2e/tools/build.sh): it lints, renders exactly the objects the FederationOperator construct (and so
// dist/install.yaml) makes for the same settings, refuses bad values by name, and installs, upgrades
// and uninstalls on the shared control plane.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Chart, Testing } from "cdk8s";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { kubectl } from "../e2e/support/kubectl.ts";
import { createTestNamespace, namespaceName, type TestNamespace } from "../e2e/support/namespace.ts";
import { waitFor } from "../e2e/support/wait-for.ts";
import { goTool } from "../e2e/tools/tools.ts";
import { writeFileSync } from "node:fs";
import { writeHelmChart, type ChartValues } from "./helm-chart.ts";
import { renderManifests } from "./main.ts";
import { FederationOperator, OPERATOR_NAME, type FederationOperatorProps } from "./operator-install.ts";

const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");
const helmBinary = goTool("helm");
const work = mkdtempSync(join(tmpdir(), "wfo-helm-"));
const chartDir = join(work, "chart");
// helm keeps its caches and repositories config here, not in the user's home.
const helmEnv = { HELM_CACHE_HOME: join(work, "cache"), HELM_CONFIG_HOME: join(work, "config"), HELM_DATA_HOME: join(work, "data"), KUBECONFIG: kubeconfig };

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function helm(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(helmBinary, args, { env: { ...process.env, ...helmEnv }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const run = (args: readonly string[]) => kubectl(args, { kubeconfig, binary });

type Doc = { kind: string; metadata: { name: string; namespace?: string } };
const key = (d: Doc) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`;
const sorted = (docs: Doc[]) => [...docs].sort((a, b) => key(a).localeCompare(key(b)));
const parseDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null);

function construct(props: FederationOperatorProps): Doc[] {
  const chart = new Chart(Testing.app(), "install");
  new FederationOperator(chart, "operator", props);
  return chart.toJson() as Doc[];
}

async function template(values: Partial<ChartValues>): Promise<Doc[]> {
  const file = join(work, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(values));
  const rendered = await helm(["template", "wire-federation", chartDir, "--include-crds", "-f", file]);
  expect(rendered.code, rendered.stderr).toBe(0);
  return parseDocs(rendered.stdout);
}

beforeAll(() => writeHelmChart(chartDir));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the generated Helm chart", () => {
  it("passes helm lint", async () => {
    const linted = await helm(["lint", chartDir, "--strict"]);
    expect(linted.stdout).toContain("0 chart(s) failed");
    expect(linted.code, linted.stdout).toBe(0);
  });

  it("renders dist/install.yaml's objects with its default values", async () => {
    expect(sorted(await template({}))).toEqual(sorted(parseDocs(renderManifests().get("install.yaml")!)));
  });

  it("renders what the construct makes for the same settings, optional pieces included", async () => {
    const settings = {
      namespace: "federation",
      createNamespace: false,
      watchedNamespaces: ["wire-eu", "wire-us"],
      image: "registry.example.com/wire-federation-operator:0.2.0",
      federatorImage: "registry.example.com/federator:0.2.0",
      allowedFederatorImages: ["registry.example.com/federator:0.1.9", "registry.example.com/federator:0.2.1"],
      replicas: 3,
      logLevel: "debug" as const,
      resources: { cpuRequestMillis: 250, cpuLimitMillis: 2000, memoryRequestMiB: 192, memoryLimitMiB: 768 },
      monitoring: { alerts: true, dashboard: true },
    };
    const rendered = await template(settings);
    expect(sorted(rendered)).toEqual(sorted(construct(settings)));
    // The alerts keep Prometheus's own template text, which helm must not have evaluated.
    expect(JSON.stringify(rendered.find((d) => d.kind === "PrometheusRule"))).toContain("{{ $labels.namespace }}");
  });

  it.each([
    [{ replicas: 0 }, "/replicas"],
    [{ watchedNamespaces: ["Wire_EU"] }, "/watchedNamespaces/0"],
    [{ monitoring: { alerts: "enabled" } }, "/monitoring/alerts"],
  ])("refuses bad values, naming the field (%j)", async (values, field) => {
    const file = join(work, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify(values));
    const rendered = await helm(["template", "wire-federation", chartDir, "-f", file]);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toContain(field);
  });
});

describe("helm install, upgrade and uninstall on the shared control plane", () => {
  const operatorNamespace = namespaceName("wfo-helm");
  const release = `wfo-${operatorNamespace.slice(-8)}`;
  const watched: TestNamespace[] = [];

  beforeAll(async () => {
    watched.push(await createTestNamespace(kubeconfig, "wfo-helm-watched"), await createTestNamespace(kubeconfig, "wfo-helm-watched"));
  });
  afterAll(async () => {
    await helm(["uninstall", release, "--namespace", "default"]);
    await run(["delete", "namespace", operatorNamespace, "--wait=false", "--ignore-not-found"]);
    for (const ns of watched) await ns.delete();
  });

  it("installs the operator, upgrades its settings, and leaves CRDs behind on uninstall", async () => {
    const watchedNames = watched.map((n) => n.name);
    const installed = await helm(["install", release, chartDir, "--namespace", "default", "--set", `namespace=${operatorNamespace}`, "--set", `watchedNamespaces={${watchedNames.join(",")}}`, "--set", "monitoring.dashboard=true", "--wait=false"]);
    expect(installed.code, installed.stderr).toBe(0);
    const deployment = await run(["get", "deployment", OPERATOR_NAME, "-n", operatorNamespace, "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].args[0]}"]);
    expect(deployment.stdout).toBe(`2 --namespaces=${watchedNames.join(",")}`);
    for (const ns of watchedNames) expect((await run(["get", "role", OPERATOR_NAME, "-n", ns, "-o", "name"])).stdout.trim()).toBe(`role.rbac.authorization.k8s.io/${OPERATOR_NAME}`);
    expect((await run(["get", "namespace", operatorNamespace, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"])).stdout).toBe("restricted");
    expect((await run(["get", "configmap", `${OPERATOR_NAME}-dashboard`, "-n", operatorNamespace, "-o", "name"])).code).toBe(0);

    const upgraded = await helm(["upgrade", release, chartDir, "--namespace", "default", "--reuse-values", "--set", "replicas=3", "--set", `watchedNamespaces={${watchedNames[0]}}`]);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect((await run(["get", "deployment", OPERATOR_NAME, "-n", operatorNamespace, "-o", "jsonpath={.spec.replicas}"])).stdout).toBe("3");
    // A namespace no longer watched loses the operator's Role.
    expect((await run(["get", "role", OPERATOR_NAME, "-n", watchedNames[1]!, "--ignore-not-found", "-o", "name"])).stdout.trim()).toBe("");

    const uninstalled = await helm(["uninstall", release, "--namespace", "default"]);
    expect(uninstalled.code, uninstalled.stderr).toBe(0);
    await waitFor(async () => (await run(["get", "deployment", OPERATOR_NAME, "-n", operatorNamespace, "--ignore-not-found", "-o", "name"])).stdout.trim() === "", { description: "the Deployment deleted", timeoutMs: 30_000 });
    expect((await run(["get", "role", OPERATOR_NAME, "-n", watchedNames[0]!, "--ignore-not-found", "-o", "name"])).stdout.trim()).toBe("");
    // Helm never deletes what crds/ installed: FederationConfigs and FederationPeers survive an uninstall.
    expect((await run(["get", "crd", "federationpeers.federation.wire.com", "-o", "name"])).code).toBe(0);
  });
});
