// The controller against an in-memory API (lib/kube/testing/fake-client.ts) with fake timers:
// which changes run a reconcile, what a refused output does to statuses, how referenced data is read.
// operator.int.test.ts runs the same controller against the real kube-apiserver.
import { setImmediate as realImmediate, setTimeout as realTimeout } from "node:timers/promises";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createCertificateAuthority } from "../lib/certs/issue.ts";
import { KubeApiError } from "../lib/kube/rest.ts";
import { createFakeClient, type FakeClient } from "../lib/kube/testing/fake-client.ts";
import { createLogger } from "../lib/log.ts";
import { createCertificateManager } from "./certificates/own-certificate.ts";
import { Controller } from "./controller.ts";
import { RESOURCES, resourcePath } from "./kube/resources.ts";
import { createOperatorMetrics, type OperatorMetrics } from "./metrics.ts";

const NS = "wire";
const path = (kind: keyof typeof RESOURCES) => resourcePath(RESOURCES[kind], NS);
let caPem: string;
let client: FakeClient;
let metrics: OperatorMetrics;
let controller: Controller;

beforeAll(async () => {
  caPem = (await createCertificateAuthority({ commonName: "Partner CA", validityDays: 365 })).certificatePem;
});
beforeEach(() => {
  // Timers and the clock are fake; I/O callbacks (WebCrypto) still run on the real event loop.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  client = createFakeClient();
  metrics = createOperatorMetrics();
});
afterEach(async () => {
  const stopping = controller.stop();
  await vi.advanceTimersByTimeAsync(1000);
  await stopping;
  vi.useRealTimers();
});

const create = (kind: keyof typeof RESOURCES, body: object) => client.request("POST", path(kind), { body });
const config = { apiVersion: "federation.wire.com/v1alpha1", kind: "FederationConfig", metadata: { name: "wire", namespace: NS }, spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} } } };
const peer = (name: string, caBundle: object) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name, namespace: NS }, spec: { domain: `${name}.example`, caBundle } });

async function start(): Promise<void> {
  controller = new Controller({ client, namespaces: [NS], log: createLogger({ name: "controller-test", level: "silent" }), metrics, certificates: createCertificateManager() });
  await controller.start();
}

/** Advances fake time in small steps (letting real I/O run between them) until `done` holds. */
async function until(done: () => boolean, description: string, maxMs = 60_000): Promise<void> {
  for (let waited = 0; waited <= maxMs; waited += 50) {
    if (done()) return;
    await vi.advanceTimersByTimeAsync(50);
    // Key generation (the self-signed and ingress hop certificates) runs on libuv's thread pool:
    // give it real time, not only a turn of the event loop.
    await realImmediate();
    if (waited % 1000 === 0) await realTimeout(5);
  }
  throw new Error(`not reached within ${maxMs} ms of fake time: ${description}`);
}

const reconciles = async () => (await metrics.reconciles.get()).values.reduce((sum, v) => sum + v.value, 0);
const condition = (kind: "FederationConfig" | "FederationPeer", name: string, type: string) =>
  ((client.get(path(kind), name)?.["status"] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
const federatorYaml = () => ((client.get(path("ConfigMap"), "wire-federator")?.["data"] ?? {}) as Record<string, string>)["federator.yaml"] ?? "";

describe("controller", () => {
  it("runs no reconcile for a status-only change of a peer, and one for a change of its spec", async () => {
    await create("FederationConfig", config);
    await create("FederationPeer", peer("b", { pem: caPem }));
    await start();
    await until(() => condition("FederationPeer", "b", "Accepted")?.status === "True" && federatorYaml().includes("b.example"), "b accepted and in federator.yaml");
    await vi.advanceTimersByTimeAsync(5_000);
    const settled = await reconciles();

    // A status written by someone (or by us): same generation, no reconcile.
    const live = client.get(path("FederationPeer"), "b")!;
    await client.request("PUT", `${path("FederationPeer")}/b/status`, { body: { ...live, status: { ...(live["status"] as object), message: "touched" } } });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await reconciles()).toBe(settled);

    // A change of spec: reconciled, and the output follows.
    const current = client.get(path("FederationPeer"), "b")!;
    await client.request("PUT", `${path("FederationPeer")}/b`, { body: { ...current, spec: { ...(current["spec"] as object), suspend: true } } });
    await until(() => !federatorYaml().includes("b.example"), "suspended b leaves federator.yaml");
    expect(await reconciles()).toBeGreaterThan(settled);
  });

  it("writes the statuses and names the refused output while one output cannot be applied, and retries until it can", async () => {
    await create("FederationConfig", config);
    await create("FederationPeer", peer("b", { pem: caPem }));
    const recover = client.fail((method, p) => method === "PATCH" && p.includes("/deployments/"), new KubeApiError(500, "InternalError", "etcd is having a moment"));
    await start();
    await until(() => condition("FederationConfig", "wire", "Ready")?.reason === "OutputNotApplied", "Ready=False naming the Deployment");
    expect(condition("FederationConfig", "wire", "Ready")?.message).toMatch(/Deployment\/wire-federator could not be applied \(retrying\): etcd is having a moment/);
    expect(condition("FederationPeer", "b", "Accepted")?.status).toBe("True");
    expect(federatorYaml()).toContain("b.example");

    recover();
    await until(() => client.get(path("Deployment"), "wire-federator") !== undefined && condition("FederationConfig", "wire", "Ready")?.reason !== "OutputNotApplied", "the Deployment applied on a retry");
  });

  it("reads a referenced ConfigMap's data once per version of it, and again when it changes", async () => {
    await create("ConfigMap", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b-ca", namespace: NS }, data: { "ca.crt": caPem } });
    await create("FederationConfig", config);
    await create("FederationPeer", peer("b", { configMapRef: { name: "b-ca", key: "ca.crt" } }));
    await start();
    await until(() => condition("FederationPeer", "b", "Accepted")?.status === "True", "b accepted through its ConfigMap");
    const reads = () => client.requests.filter((r) => r === `GET ${path("ConfigMap")}/b-ca`).length;
    expect(reads()).toBe(1);

    controller.resyncAll();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reads()).toBe(1);

    const cm = client.get(path("ConfigMap"), "b-ca")!;
    await client.request("PUT", `${path("ConfigMap")}/b-ca`, { body: { ...cm, data: { "ca.crt": "not a certificate" } } });
    await until(() => condition("FederationPeer", "b", "CAValid")?.status === "False", "b's CA refused after its ConfigMap changed");
    expect(reads()).toBe(2);
  });
});
