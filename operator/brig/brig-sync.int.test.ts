// The operator against the real kube-apiserver + etcd and the fake brig (e2e/support/fake-brig.ts,
// written from wire-server's services/brig/src/Brig/API/Internal.hs and
// libs/wire-subsystems/src/Wire/FederationConfigStore/Cassandra.hs): what brig's
// GET /i/federation/remotes shows after a `kubectl apply` of FederationPeers.
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { FederatorConfig } from "../../lib/api/federator-config.ts";
import { createCertificateAuthority, type CertificateAuthority } from "../../lib/certs/issue.ts";
import { startFakeBrig, type FakeBrig, type FakeBrigOptions } from "../../e2e/support/fake-brig.ts";
import { kubectl } from "../../e2e/support/kubectl.ts";
import { waitFor } from "../../e2e/support/wait-for.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { getObject } from "../../lib/kube/get-object.ts";
import { RESOURCES, resourcePath, type KindName } from "../kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { seedTwentyRemotes } from "../testing/brig-remotes.ts";
import { DEFAULT_POLICY } from "../desired/admission.ts";
import { startOperator, type OperatorUnderTest } from "../testing/operator-under-test.ts";
import { createBrigClient } from "./client.ts";
import { importManifests } from "./import.ts";

const kubeconfig = inject("kubeconfig");
const T1 = "8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30";
const T2 = "0b0a1d9e-6f6e-4c52-9a39-1d9b8f3c2a11";
let admin: RestClient;
let ca: CertificateAuthority;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  ca = await createCertificateAuthority({ commonName: "Peer federation CA", validityDays: 365 });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function namespace(): Promise<string> {
  const name = `brig-${randomBytes(4).toString("hex")}`;
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
  return name;
}
async function operatorFor(ns: string): Promise<OperatorUnderTest> {
  // The fake brig listens on 127.0.0.1, not at a Service of the namespace.
  const operator = await startOperator(kubeconfig, [ns], { ...DEFAULT_POLICY, serviceTargets: "Any" });
  cleanups.push(() => operator.stop());
  return operator;
}
async function brigWith(options: FakeBrigOptions = {}): Promise<FakeBrig> {
  const brig = await startFakeBrig({ strategy: "allowDynamic", ...options });
  cleanups.push(() => brig.close());
  return brig;
}
const apply = async (ns: string, ...objects: object[]) => {
  const result = await kubectl(["apply", "-n", ns, "-f", "-"], { kubeconfig, stdin: objects.map((o) => stringify(o)).join("---\n") });
  expect(result.code, result.stderr).toBe(0);
};
const get = (kind: KindName, ns: string, name: string) => getObject(admin, RESOURCES[kind], ns, name);
const fc = (brig: FakeBrig, spec: object = {}) => ({
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire" },
  spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} }, federator: { services: { brig: brig.url } }, brig: { sync: true }, ...spec },
});
const fp = (name: string, spec: object) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name }, spec: { caBundle: { pem: ca.certificatePem }, ...spec } });
type Condition = { type: string; status: string; reason: string; message: string };
const condition = (object: KubeObject | undefined, type: string) => ((object?.["status"] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
const peers = async (ns: string) => ((await admin.request("GET", resourcePath(RESOURCES.FederationPeer, ns))).body as { items: KubeObject[] }).items;
const events = async (ns: string) => ((await admin.request("GET", `/api/v1/namespaces/${ns}/events`)).body as { items: { reason: string; message: string; involvedObject: { name: string } }[] }).items;
const federatorRemotes = async (ns: string) => {
  const text = (((await get("ConfigMap", ns, "wire-federator"))?.["data"] ?? {}) as Record<string, string>)["federator.yaml"];
  return text === undefined ? [] : FederatorConfig.parse(parse(text)).remotes.map((r) => r.domain);
};
const inBrig = (brig: FakeBrig) => new Map(brig.remotes().remotes.map((r) => [r.domain, r]));

describe("brig sync", () => {
  it("puts a full_search, team-restricted peer into brig, and follows its changes", async () => {
    const ns = await namespace();
    const brig = await brigWith();
    await operatorFor(ns);
    await apply(ns, fc(brig), fp("b", { domain: "b.example", searchPolicy: "full_search", restriction: { type: "RestrictByTeam", teams: [T1, T2] } }));
    await waitFor(() => inBrig(brig).get("b.example"), { description: "b.example in brig", timeoutMs: 20_000 });
    expect(inBrig(brig).get("b.example")).toEqual({ domain: "b.example", search_policy: "full_search", restriction: { tag: "restrict_by_team", value: [T1, T2].sort() } });
    await waitFor(async () => condition(await get("FederationPeer", ns, "b"), "BrigSynced")?.status === "True", { description: "BrigSynced=True", timeoutMs: 20_000 });

    await apply(ns, fc(brig), fp("b", { domain: "b.example", searchPolicy: "exact_handle_search", restriction: { type: "RestrictByTeam", teams: [T2] } }));
    await waitFor(() => stableRemote(brig, "b.example") === JSON.stringify(["exact_handle_search", [T2]]), { description: "brig updated", timeoutMs: 20_000 });

    // Suspended, then deleted: brig keeps the entry (it has no delete), made harmless, and an Event says how to remove it.
    await apply(ns, fc(brig), fp("b", { domain: "b.example", searchPolicy: "exact_handle_search", restriction: { type: "RestrictByTeam", teams: [T2] }, suspend: true }));
    await waitFor(() => stableRemote(brig, "b.example") === JSON.stringify(["no_search", []]), { description: "suspended peer harmless in brig", timeoutMs: 20_000 });
    await apply(ns, fc(brig), fp("b", { domain: "b.example", searchPolicy: "full_search", restriction: { type: "AllowAll" } }));
    await waitFor(() => stableRemote(brig, "b.example") === JSON.stringify(["full_search", null]), { description: "resumed", timeoutMs: 20_000 });
    const deleted = await kubectl(["delete", "fp", "b", "-n", ns], { kubeconfig });
    expect(deleted.code, deleted.stderr).toBe(0);
    await waitFor(() => stableRemote(brig, "b.example") === JSON.stringify(["no_search", []]), { description: "deleted peer harmless in brig", timeoutMs: 20_000 });
    const event = await waitFor(async () => (await events(ns)).find((e) => e.reason === "BrigRemoteNeutralized" && e.involvedObject.name === "wire"), { description: "an Event on the config" });
    expect(event.message).toContain("DELETE FROM brig.federation_remotes WHERE domain = 'b.example'");
  });

  it("makes 0 requests that change brig on a resync of 100 synced peers", async () => {
    const ns = await namespace();
    const brig = await brigWith();
    const operator = await operatorFor(ns);
    const all = Array.from({ length: 100 }, (_, i) =>
      fp(`p${i}`, { domain: `p${i}.example`, searchPolicy: (["no_search", "exact_handle_search", "full_search"] as const)[i % 3], restriction: i % 2 ? { type: "AllowAll" } : { type: "RestrictByTeam", teams: i % 4 ? [T1] : [] } }),
    );
    await apply(ns, fc(brig), ...all);
    await waitFor(async () => (await peers(ns)).every((p) => condition(p, "BrigSynced")?.status === "True") && inBrig(brig).size === 100, { description: "100 peers synced into brig", timeoutMs: 60_000 });
    await operator.controller.idle();
    const writes = brig.writes();
    const apiWrites = operator.client.writes.count;
    const reads = brig.log.length;
    operator.controller.resyncAll();
    await operator.controller.idle();
    expect(brig.log.length).toBeGreaterThan(reads); // the resync did ask brig
    expect(brig.writes() - writes).toBe(0);
    expect(operator.client.writes.count - apiWrites).toBe(0);

    // A restarted operator (brig kept its tables) finds brig in agreement too.
    await operator.stop();
    const restarted = await operatorFor(ns);
    await restarted.controller.idle();
    expect(brig.writes() - writes).toBe(0);
    expect(restarted.client.writes.count).toBe(0);
  });

  it("brings 50 peers applied while brig was down into brig once it is back, saying meanwhile that brig is unreachable", async () => {
    const ns = await namespace();
    const brig = await brigWith();
    await brig.component.down();
    await operatorFor(ns);
    await apply(ns, fc(brig), ...Array.from({ length: 50 }, (_, i) => fp(`q${i}`, { domain: `q${i}.example`, searchPolicy: "full_search" })));
    // The federator is not held up by brig.
    await waitFor(async () => (await federatorRemotes(ns)).length === 50, { description: "50 remotes in federator.yaml while brig is down", timeoutMs: 30_000 });
    await waitFor(async () => (await peers(ns)).filter((p) => condition(p, "BrigSynced")?.reason === "BrigUnreachable").length === 50, {
      description: "every peer says brig is unreachable",
      timeoutMs: 30_000,
    });
    const meanwhile = condition(await get("FederationPeer", ns, "q7"), "BrigSynced");
    expect(meanwhile).toMatchObject({ status: "False", reason: "BrigUnreachable" });
    expect(meanwhile?.message).toMatch(/ECONNREFUSED.*retrying with backoff/);
    await waitFor(async () => condition(await get("FederationConfig", ns, "wire"), "BrigSynced")?.message.includes("50 FederationPeer(s) wait for brig"), {
      description: "the config says 50 peers wait for brig",
      timeoutMs: 30_000,
    });

    await brig.component.up();
    await waitFor(async () => (await peers(ns)).every((p) => condition(p, "BrigSynced")?.status === "True"), { description: "every peer synced after brig is back", timeoutMs: 60_000 });
    expect([...inBrig(brig).keys()].sort()).toEqual(Array.from({ length: 50 }, (_, i) => `q${i}.example`).sort());
    expect(brig.remotes().remotes.every((r) => r.search_policy === "full_search")).toBe(true);
    const history = (await events(ns)).filter((e) => e.involvedObject.name === "q7").map((e) => e.reason);
    expect(history).toEqual(expect.arrayContaining(["BrigUnreachable", "BrigUpdated"]));
  });

  it("names both settings when brig's config file defines a remote otherwise, and reports brig's strategy", async () => {
    const ns = await namespace();
    const brig = await brigWith({ configFileRemotes: [{ domain: "c.example", search_policy: "no_search" }], strategy: "allowAll" });
    await operatorFor(ns);
    await apply(ns, fc(brig), fp("c", { domain: "c.example", searchPolicy: "full_search" }));
    const synced = await waitFor(async () => {
      const c = condition(await get("FederationPeer", ns, "c"), "BrigSynced");
      return c?.reason === "BrigConfigFile" ? c : undefined;
    }, { description: "BrigConfigFile on the peer", timeoutMs: 20_000 });
    expect(synced.status).toBe("False");
    expect(synced.message).toContain("defines c.example with search_policy no_search, restriction allow_all");
    expect(synced.message).toContain("asks for search_policy full_search, restriction allow_all");
    // The config's status is written after its peers'.
    const strategy = await waitFor(async () => condition(await get("FederationConfig", ns, "wire"), "BrigStrategy"), { description: "BrigStrategy on the config", timeoutMs: 20_000 });
    expect(strategy).toMatchObject({ status: "False", reason: "StrategyMismatch" });
    expect(strategy?.message).toContain("brig.config.optSettings.setFederationStrategy");
    // The federator's outputs do not wait for brig.
    expect(await federatorRemotes(ns)).toEqual(["c.example"]);
  });
});

describe("adopting an installation", () => {
  it("imports 20 mixed remotes from brig into manifests that, applied, converge with 0 brig writes", async () => {
    const ns = await namespace();
    const brig = await brigWith({ configFileRemotes: [{ domain: "file1.example", search_policy: "full_search" }, { domain: "file2.example", search_policy: "no_search" }] });
    await seedTwentyRemotes(brig);
    const before = brig.remotes();
    const seeded = brig.writes();
    const imported = importManifests({ namespace: ns, configName: "wire", brig: await createBrigClient(brig.url).getRemotes(), brigService: brig.url });
    expect(imported.peers).toHaveLength(20);
    const config = imported.config as { spec: Record<string, unknown> };
    // What an admin fills in: the domains and the certificate.
    const filled = { ...config, spec: { ...config.spec, backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} } } };
    const operator = await operatorFor(ns);
    await apply(ns, filled, ...imported.peers);
    await waitFor(async () => {
      const all = await peers(ns);
      return all.length === 20 && all.every((p) => condition(p, "BrigSynced")?.status === "True");
    }, { description: "20 imported peers BrigSynced", timeoutMs: 30_000 });
    await operator.controller.idle();
    expect(brig.writes() - seeded).toBe(0);
    expect(brig.remotes()).toEqual(before);
    await waitFor(async () => condition(await get("FederationConfig", ns, "wire"), "BrigStrategy")?.status === "True", { description: "brig's strategy matches", timeoutMs: 20_000 });
  });
});

function stableRemote(brig: FakeBrig, domain: string): string {
  const remote = inBrig(brig).get(domain);
  return JSON.stringify(remote === undefined ? undefined : [remote.search_policy, remote.restriction.value]);
}
