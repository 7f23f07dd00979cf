// Scenario: two operator processes with leader election (2 s lease); the active one is killed with
// -9 while a user applies 500 peers. The standby takes the Lease and converges: no peer missing
// from federator.yaml, every peer Accepted. Afterwards both logs are scanned for key material.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createCertificateAuthority } from "../../lib/certs/issue.ts";
import { RESOURCES, resourcePath } from "../../operator/kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { kubectl } from "../support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../support/namespace.ts";
import { StopWaiting, waitFor } from "../support/wait-for.ts";
import { federatorRemotes, missing, peerStates, privateKeyValues } from "./federation-state.ts";
import { findKeyMaterial } from "./key-material.ts";
import { startOperatorProcess, stopOperatorProcesses, type OperatorProcess } from "./operator-process.ts";
import { applyBatches, federationConfig, manifests, peerBatches, peerDomain } from "./peers.ts";

const kubeconfig = inject("kubeconfig");
const PEERS = 500;
const BATCH = 50;

let admin: RestClient;
let ns: TestNamespace;
let operators: OperatorProcess[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "reliability-test");
  ns = await createTestNamespace(kubeconfig, "failover");
});
afterAll(async () => {
  await stopOperatorProcesses();
  await ns?.delete();
});

const leaseHolder = async () =>
  ((await admin.request("GET", resourcePath(RESOURCES.Lease, ns.name, "wire-federation-operator"))).body as { spec: { holderIdentity?: string } }).spec.holderIdentity;

describe("kill -9 of the active operator during a 500-peer apply", () => {
  it("the standby takes the Lease and converges with no peer missing", async () => {
    operators = ["operator-one", "operator-two"].map((identity) => startOperatorProcess({ kubeconfig, namespace: ns.name, identity, leaseSeconds: 2 }));
    const leader = await waitFor(() => operators.find((o) => o.logged("became leader").length > 0), { description: "a leader", timeoutMs: 30_000 });
    const standby = operators.find((o) => o !== leader);
    if (standby === undefined) throw new Error("unreachable: two operators");

    const ca = await createCertificateAuthority({ commonName: "Peer CA", validityDays: 30 });
    const apply = (yaml: string) => kubectl(["apply", "-n", ns.name, "-f", "-"], { kubeconfig, stdin: yaml, timeoutMs: 60_000 });
    expect((await apply(manifests([federationConfig]))).code).toBe(0);
    const applier = applyBatches(apply, peerBatches(PEERS, BATCH, ca.certificatePem), 100_000);

    // Kill it once it is demonstrably working on the peers: some already in federator.yaml.
    await waitFor(
      async () => {
        if (standby.exited() || leader.exited()) throw new StopWaiting("an operator exited on its own");
        return ((await federatorRemotes(admin, ns.name)) ?? []).length > 0;
      },
      { description: "the leader to put the first peers into federator.yaml", timeoutMs: 60_000 },
    );
    await leader.kill("SIGKILL");
    const batchesAtKill = applier.applied();
    expect(batchesAtKill).toBeLessThan(PEERS / BATCH); // the kill happened during the apply

    await applier.done;
    await waitFor(() => standby.logged("became leader").length > 0, { description: "the standby to take the Lease", timeoutMs: 30_000 });
    const expected = Array.from({ length: PEERS }, (_, i) => peerDomain(i));
    await waitFor(async () => missing(expected, await federatorRemotes(admin, ns.name)).length === 0, {
      description: `all ${PEERS} peers in wire-federator's federator.yaml`,
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await peerStates(admin, ns.name)).accepted.length === PEERS, { description: `all ${PEERS} peers Accepted=True`, timeoutMs: 60_000 });

    expect(missing(expected, await federatorRemotes(admin, ns.name))).toEqual([]);
    expect((await federatorRemotes(admin, ns.name))?.length).toBe(PEERS); // and no duplicates
    expect((await peerStates(admin, ns.name)).notAccepted).toEqual([]);
    expect(await leaseHolder()).toBe(standby.identity);
    expect(standby.exited()).toBe(false);
  });

  it("logged no private key material", async () => {
    const keys = (await privateKeyValues(admin, ns.name)).map((k) => ({ source: `${k.secret}/${k.key}`, base64: k.base64 }));
    expect(keys.map((k) => k.source)).toContain("wire-tls/tls.key");
    expect(operators).toHaveLength(2);
    for (const operator of operators) {
      expect(operator.lines().length).toBeGreaterThan(0);
      expect(findKeyMaterial(operator.output(), keys), operator.identity).toEqual([]);
    }
  });
});
