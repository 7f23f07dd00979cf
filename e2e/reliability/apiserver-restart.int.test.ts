// Scenario: the API server restarts (same etcd data) while a user applies peers. The operator
// process, leader-elected, runs throughout: it keeps its lease, reconnects its watches and
// converges with nothing lost. Afterwards its whole log is scanned for private key material.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority } from "../../lib/certs/issue.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.ts";
import { StopWaiting, waitFor } from "../support/wait-for.ts";
import { federatorRemotes, missing, peerStates, privateKeyValues } from "./federation-state.ts";
import { findKeyMaterial } from "./key-material.ts";
import { startOperatorProcess, stopOperatorProcesses, type OperatorProcess } from "./operator-process.ts";
import { applyBatches, federationConfig, manifests, peerBatches, peerDomain } from "./peers.ts";

const NAMESPACE = "wire";
const PEERS = 200;
// Renewed every 20 s, renew deadline 40 s. The test waits for a renewal to fail while the API
// server is down, so the operator must ride out failed renewals; the API server is back within
// ~15 s of that first failure (stopping it takes up to 10 s, starting ~3 s), well before the deadline.
const LEASE_SECONDS = 60;

let cp: ControlPlane;
let admin: RestClient;
let operator: OperatorProcess;

beforeAll(async () => {
  cp = await startControlPlane({ name: "reliability-restart", controllerManager: false, auditLog: false });
  admin = await createRestClient(loadKubeConfig(cp.kubeconfigPath), "reliability-test");
  expect((await cp.kubectl(["create", "namespace", NAMESPACE])).code).toBe(0);
});
afterAll(async () => {
  await stopOperatorProcesses();
  await cp?.stop();
});

describe("API server restart while peers are applied", () => {
  it("the running operator reconnects and converges: every peer in federator.yaml and Accepted", async () => {
    operator = startOperatorProcess({ kubeconfig: cp.kubeconfigPath, namespace: NAMESPACE, identity: "restart-operator", leaseSeconds: LEASE_SECONDS });
    await waitFor(() => operator.logged("became leader").length > 0, { description: "the operator to lead", timeoutMs: 30_000 });
    const ca = await createCertificateAuthority({ commonName: "Peer CA", validityDays: 30 });
    expect((await cp.kubectl(["apply", "-n", NAMESPACE, "-f", "-"], { stdin: manifests([federationConfig]) })).code).toBe(0);

    const applier = applyBatches((yaml) => cp.kubectl(["apply", "-n", NAMESPACE, "-f", "-"], { stdin: yaml, timeoutMs: 30_000 }), peerBatches(PEERS, 20, ca.certificatePem), 90_000);
    await waitFor(() => applier.applied() >= 2, { description: "the first batches to be applied", timeoutMs: 30_000 });

    await cp.stopApiServer();
    // Down long enough that the operator saw it: a watch broke, a lease renewal failed, and the user's apply failed.
    await waitFor(
      () => {
        const noticed = { watch: operator.logged("list/watch failed").length > 0, lease: operator.logged("leader election: lease update failed").length > 0, user: applier.failures().length > 0 };
        if (operator.exited()) throw new StopWaiting(`the operator exited while the API server was down; noticed: ${JSON.stringify(noticed)}`);
        if (Object.values(noticed).every(Boolean)) return true;
        throw new Error(`noticed so far: ${JSON.stringify(noticed)}`);
      },
      { description: "the operator and the user to notice the API server is down", timeoutMs: 40_000 },
    );
    const appliedWhileDown = applier.applied();
    await cp.startApiServer();
    await applier.done;
    expect(appliedWhileDown).toBeLessThan(PEERS / 20); // the restart happened in the middle of the apply

    const expected = Array.from({ length: PEERS }, (_, i) => peerDomain(i));
    await waitFor(async () => missing(expected, await federatorRemotes(admin, NAMESPACE)).length === 0, {
      description: `all ${PEERS} peers in wire-federator's federator.yaml`,
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await peerStates(admin, NAMESPACE)).accepted.length === PEERS, { description: `all ${PEERS} peers Accepted=True`, timeoutMs: 60_000 });

    expect(missing(expected, await federatorRemotes(admin, NAMESPACE))).toEqual([]);
    expect((await peerStates(admin, NAMESPACE)).notAccepted).toEqual([]);
    expect(operator.exited()).toBe(false);
    expect(operator.logged("lost leadership")).toEqual([]);
  });

  it("logged no private key material", async () => {
    const keys = (await privateKeyValues(admin, NAMESPACE)).map((k) => ({ source: `${k.secret}/${k.key}`, base64: k.base64 }));
    expect(keys.map((k) => k.source)).toContain("wire-tls/tls.key");
    expect(operator.lines().length).toBeGreaterThan(100);
    expect(findKeyMaterial(operator.output(), keys)).toEqual([]);
  });
});
