import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceAccountUser, writeImpersonatingKubeconfig } from "../e2e/support/impersonate.ts";
import { createTestNamespace, type TestNamespace } from "../e2e/support/namespace.ts";
import { startDnsmasq, type Dnsmasq } from "../e2e/support/dnsmasq.ts";
import { startFakeComponents, type FakeComponents } from "../e2e/support/fake-components.ts";
import type { FederatorConfigInput } from "../lib/api/federator-config.ts";
import { createLogger } from "../lib/log.ts";
import { run, type Running } from "./main.ts";
import { http1, json, metricValue, waitUntil } from "./testing/backends.ts";
import { federatorCertificate, testCa } from "./testing/pki.ts";

const IP = "127.0.0.9";
let namespace: TestNamespace;
let core: CoreV1Api;
let components: FakeComponents;
let running: Running;
let base: string;
let dns: Dnsmasq;
let kubeconfig: string;
let rbac: RbacAuthorizationV1Api;

function federatorYaml(remotes: readonly string[]): string {
  const document: FederatorConfigInput = {
    backendDomain: "w.example",
    infraDomain: "federator.w.example",
    strategy: "AllowList",
    remotes: remotes.map((domain) => ({ domain })),
    services: components.services,
    // No records: an allowed target fails discovery (422 invalid-domain), a denied one is refused first.
    dns: { server: dns.address, allowPrivateTargets: true },
  };
  return stringify(document);
}

async function setConfigMap(text: string): Promise<void> {
  await core.replaceNamespacedConfigMap({ name: "w-federator", namespace: namespace.name, body: { metadata: { name: "w-federator" }, data: { "federator.yaml": text } } });
}

async function label(target: string): Promise<unknown> {
  return json(await http1(`${base}/rpc/${target}/brig/get-user`, { body: "{}" }))["label"];
}

async function metrics(): Promise<string> {
  return (await http1(`${base}/i/metrics`, { method: "GET" })).body.toString();
}

beforeAll(async () => {
  kubeconfig = inject("kubeconfig");
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  namespace = await createTestNamespace(kubeconfig, "federator-watch");
  components = await startFakeComponents(IP);
  dns = await startDnsmasq({ records: {}, localDomains: ["example"] });
  const ca = await testCa();
  const certificate = await federatorCertificate(ca, "federator.w.example");
  const ns = namespace.name;
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "w-federator" }, data: { "federator.yaml": federatorYaml(["b.example"]) } } });
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "w-tls" }, type: "kubernetes.io/tls", stringData: { "tls.crt": certificate.chainPem, "tls.key": certificate.privateKeyPem } },
  });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "w-ca-bundle" }, stringData: { "ca.crt": ca.certificatePem } } });
  running = await run(
    { mode: "Watch", kube: { namespace: ns, configMap: "w-federator", tlsSecret: "w-tls", caSecret: "w-ca-bundle", kubeconfig }, internal: `${IP}:0`, external: `${IP}:0`, poolSize: 1, pollIntervalMs: 10_000 },
    createLogger({ name: "federator-watch", level: process.env["FEDERATOR_TEST_LOG"] ?? "silent" }),
  );
  base = `http://${IP}:${running.federator.internalAddress.port}`;
});
afterAll(async () => {
  await running?.stop();
  await components?.close();
  await dns?.stop();
  await namespace?.delete();
});

describe("hot reload (Watch mode, through the API server)", () => {
  it("starts from the ConfigMap and Secrets", async () => {
    expect(await label("b.example")).toBe("invalid-domain");
    expect(await label("c.example")).toBe("federation-denied");
    await setConfigMap(federatorYaml(["b.example"]));
    await waitUntil(async () => running.federator.digest() !== "" && (await label("b.example")) === "invalid-domain", "the good config is back");
  });

  it("enforces an allow-list change in the ConfigMap within a second", async () => {
    const samples: number[] = [];
    for (let round = 0; round < 5; round++) {
      const remotes = round % 2 === 0 ? [] : ["b.example"];
      const expected = round % 2 === 0 ? "federation-denied" : "invalid-domain";
      const started = Date.now();
      await setConfigMap(federatorYaml(remotes));
      await waitUntil(async () => (await label("b.example")) === expected, `round ${round} applies`, 5000);
      samples.push(Date.now() - started);
    }
    process.stderr.write(`[federator] Watch mode: ConfigMap replace → enforced, ms: ${samples.join(", ")}\n`);
    expect(Math.max(...samples)).toBeLessThan(1000);
  });

  it("rejects an invalid ConfigMap, counts it and keeps the last good config", async () => {
    await setConfigMap(federatorYaml(["b.example"]));
    await waitUntil(async () => (await label("b.example")) === "invalid-domain", "b.example allowed");
    const before = metricValue(await metrics(), "federator_config_reloads_total", { result: "failure", source: "watch" });
    await setConfigMap("strategy: [");
    await waitUntil(async () => metricValue(await metrics(), "federator_config_reloads_total", { result: "failure", source: "watch" }) > before, "the failure is counted");
    expect(await label("b.example")).toBe("invalid-domain");
    expect(await label("c.example")).toBe("federation-denied");
    await setConfigMap(federatorYaml(["b.example"]));
    await waitUntil(async () => running.federator.digest() !== "" && (await label("b.example")) === "invalid-domain", "the good config is back");
  });

  it("applies a new CA bundle from its Secret", async () => {
    const before = running.federator.snapshot().tls.fingerprint;
    const next = await testCa("Rotated CA");
    await core.replaceNamespacedSecret({ name: "w-ca-bundle", namespace: namespace.name, body: { metadata: { name: "w-ca-bundle" }, stringData: { "ca.crt": next.certificatePem } } });
    await waitUntil(() => running.federator.snapshot().tls.fingerprint !== before, "the new bundle is in use", 5000);
  });
});

describe("Watch mode over time", () => {
  // client-node's Watch, which Watch mode used before, aborted every quiet watch after 30 s: each
  // federator re-read its three objects and logged a warning twice a minute.
  it("keeps one watch per object for two minutes: it reconnects only when the API server ends a watch", { timeout: 180_000 }, async () => {
    const watches = async () => metricValue(await metrics(), "federator_kube_watch_requests", {});
    const before = await watches();
    expect(before).toBeGreaterThanOrEqual(3);
    // An observation window, not a synchronisation: the informers ask the API server for 4–6 minute watches.
    await new Promise((resolve) => setTimeout(resolve, 120_000));
    expect(await watches()).toBe(before);
    // And the watches still deliver: a change made now is enforced.
    await setConfigMap(federatorYaml([]));
    await waitUntil(async () => (await label("b.example")) === "federation-denied", "the change after two quiet minutes applies", 5000);
    await setConfigMap(federatorYaml(["b.example"]));
    await waitUntil(async () => (await label("b.example")) === "invalid-domain", "b.example allowed again", 5000);
  });
});

describe("Watch mode with least privilege", () => {
  it("runs on get/watch of its ConfigMap and two Secrets only, and picks up changes", async () => {
    const ns = namespace.name;
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: "w-federator" },
        rules: [
          { apiGroups: [""], resources: ["configmaps"], resourceNames: ["w-federator"], verbs: ["get", "watch"] },
          { apiGroups: [""], resources: ["secrets"], resourceNames: ["w-tls", "w-ca-bundle"], verbs: ["get", "watch"] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: "w-federator" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "w-federator" },
        subjects: [{ kind: "ServiceAccount", name: "w-federator", namespace: ns }],
      },
    });
    const dir = mkdtempSync(join(tmpdir(), "federator-rbac-"));
    const logLines: string[] = [];
    const limited = await writeImpersonatingKubeconfig(kubeconfig, { user: serviceAccountUser(ns, "w-federator") }, join(dir, "kubeconfig"));
    const restricted = await run(
      { mode: "Watch", kube: { namespace: ns, configMap: "w-federator", tlsSecret: "w-tls", caSecret: "w-ca-bundle", kubeconfig: limited }, internal: `${IP}:0`, external: `${IP}:0`, poolSize: 1, pollIntervalMs: 10_000 },
      createLogger({ name: "federator-watch-rbac", level: "info", destination: { write: (line: string) => void logLines.push(line) } }),
    );
    try {
      const restrictedBase = `http://${IP}:${restricted.federator.internalAddress.port}`;
      const labelOf = async (target: string) => json(await http1(`${restrictedBase}/rpc/${target}/brig/get-user`, { body: "{}" }))["label"];
      await setConfigMap(federatorYaml(["b.example", "d.example"]));
      await waitUntil(async () => (await labelOf("d.example")) === "invalid-domain", "the restricted federator sees the change", 5000);
      // Had a watch been forbidden, the federator would have fallen back to re-reading and said so.
      expect(logLines.filter((line) => /cannot (read|watch)|watch ended/.test(line))).toEqual([]);
      expect(logLines.some((line) => line.includes('"source":"watch"') && line.includes("configuration reloaded"))).toBe(true);
    } finally {
      await restricted.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
