// The operator as someone running several Wire backends uses it: many namespaces in one process,
// and peers whose CAs live in ConfigMaps of their own. Both stalled the operator before its watches
// and its requests had separate connections (watches held every socket of one capped pool, so
// applies, status writes and Lease renewals waited forever).
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createCertificateAuthority } from "../lib/certs/issue.ts";
import { MAX_REQUEST_CONNECTIONS, createRestClient, loadKubeConfig, type RestClient } from "../lib/kube/rest.ts";
import { startOperatorProcess, stopOperatorProcesses } from "../e2e/reliability/operator-process.ts";
import { waitFor } from "../e2e/support/wait-for.ts";
import { RESOURCES, resourcePath } from "./kube/resources.ts";
import { startOperator, type OperatorUnderTest } from "./testing/operator-under-test.ts";
import { WATCHES } from "./watches.ts";

const kubeconfig = inject("kubeconfig");
let admin: RestClient;
let caPem: string;
const running: OperatorUnderTest[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  caPem = (await createCertificateAuthority({ commonName: "Scale peer CA", validityDays: 365 })).certificatePem;
});
afterEach(async () => {
  await stopOperatorProcesses();
  for (const operator of running.splice(0)) await operator.stop();
});
afterAll(() => admin.close());

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
  return name;
}

const config = (backend: string) => ({
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire" },
  spec: { backendDomain: `${backend}.example`, infraDomain: `federator.${backend}.example`, certificate: { selfSigned: {} } },
});
const peer = (name: string, caBundle: object) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name }, spec: { domain: `${name}.example.org`, caBundle } });

const create = (ns: string, kind: "FederationConfig" | "FederationPeer" | "ConfigMap", body: object) => admin.request("POST", resourcePath(RESOURCES[kind], ns), { body });

async function federatorYaml(ns: string): Promise<string> {
  const response = await admin.request("GET", resourcePath(RESOURCES.ConfigMap, ns, "wire-federator")).catch(() => undefined);
  return ((response?.body as { data?: Record<string, string> } | undefined)?.data ?? {})["federator.yaml"] ?? "";
}

async function acceptedPeers(ns: string): Promise<number> {
  const { body } = await admin.request("GET", resourcePath(RESOURCES.FederationConfig, ns, "wire"));
  return (body as { status?: { peers?: { accepted?: number } } }).status?.peers?.accepted ?? -1;
}

/** Five backends in five namespaces, each a FederationConfig and one peer. */
async function fiveBackends(): Promise<string[]> {
  const namespaces = await Promise.all(Array.from({ length: 5 }, () => namespace("scale")));
  for (const [index, ns] of namespaces.entries()) {
    await create(ns, "FederationConfig", config(`b${index}`));
    await create(ns, "FederationPeer", peer(`partner-${index}`, { pem: caPem }));
  }
  return namespaces;
}

async function allServed(namespaces: readonly string[], alive: () => boolean): Promise<void> {
  await waitFor(
    async () => {
      if (!alive()) throw new Error("the operator exited");
      const texts = await Promise.all(namespaces.map(federatorYaml));
      return texts.every((text, index) => text.includes(`partner-${index}.example.org`));
    },
    { description: "federator.yaml with its peer in every namespace", timeoutMs: 60_000, intervalMs: 200 },
  );
}

describe("operator with many namespaces", () => {
  it("serves five namespaces in one process", async () => {
    const namespaces = await fiveBackends();
    const operator = startOperatorProcess({ kubeconfig, namespace: namespaces[0]!, namespaces, identity: "five-namespaces" });
    await allServed(namespaces, () => !operator.exited());
  });

  it("serves five namespaces as the elected leader and keeps its Lease", async () => {
    const namespaces = await fiveBackends();
    const operator = startOperatorProcess({ kubeconfig, namespace: namespaces[0]!, namespaces, identity: "five-namespaces-leader", leaseSeconds: 3 });
    await allServed(namespaces, () => !operator.exited());
    // Past two renew deadlines, still the leader: Lease renewals are not stuck behind watches.
    const lease = async () => ((await admin.request("GET", resourcePath(RESOURCES.Lease, namespaces[0]!, "wire-federation-operator"))).body as { spec: { renewTime: string } }).spec.renewTime;
    const first = await lease();
    await waitFor(async () => (await lease()) !== first, { description: "the leader to renew its Lease", timeoutMs: 10_000 });
    expect(operator.exited()).toBe(false);
    expect(operator.logged("lost leadership")).toEqual([]);
  });
});

describe("operator with many referenced objects", () => {
  it("converges 1000 peers that each reference their own ConfigMap, over a bounded number of connections", { timeout: 300_000 }, async () => {
    const ns = await namespace("refs");
    const peers = 1000;
    await create(ns, "FederationConfig", config("refs"));
    const operator = await startOperator(kubeconfig, [ns]);
    running.push(operator);
    let most = { requests: 0, watches: 0 };
    const sampler = setInterval(() => {
      const now = operator.client.connections();
      most = { requests: Math.max(most.requests, now.requests), watches: Math.max(most.watches, now.watches) };
    }, 50);
    try {
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < peers; i = next++) {
          await create(ns, "ConfigMap", { metadata: { name: `peer-${i}-ca` }, data: { "ca.crt": caPem } });
          await create(ns, "FederationPeer", peer(`peer-${i}`, { configMapRef: { name: `peer-${i}-ca`, key: "ca.crt" } }));
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      await waitFor(async () => (await acceptedPeers(ns)) === peers, { description: `${peers} accepted peers`, timeoutMs: 240_000, intervalMs: 500 });
    } finally {
      clearInterval(sampler);
    }
    // One watch per watched kind and namespace (plus the two metadata informers of referenced kinds), whatever the number of references.
    expect(most.watches).toBeLessThanOrEqual(WATCHES.length + 2);
    expect(most.requests).toBeLessThanOrEqual(MAX_REQUEST_CONNECTIONS);

    // A referenced ConfigMap that changes still reaches its peer: the CA goes, the peer is refused.
    await admin.request("PUT", resourcePath(RESOURCES.ConfigMap, ns, "peer-7-ca"), { body: { metadata: { name: "peer-7-ca" }, data: { "ca.crt": "not a certificate" } } });
    await waitFor(async () => (await acceptedPeers(ns)) === peers - 1, { description: "peer-7 refused after its ConfigMap changed", timeoutMs: 30_000 });
  });
});
