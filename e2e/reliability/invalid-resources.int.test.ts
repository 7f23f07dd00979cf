// Scenario: a user applies malformed FederationConfigs and FederationPeers. The API server refuses
// each (kubectl apply with strict field validation) naming the field; the operator, running
// throughout, neither crashes nor stalls: a valid peer applied afterwards is reconciled.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createCertificateAuthority } from "../../lib/certs/issue.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { kubectl } from "../support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";
import { federatorRemotes, peerStates } from "./federation-state.ts";
import { INVALID_CASES } from "./invalid-resources.ts";
import { startOperatorProcess, stopOperatorProcesses, type OperatorProcess } from "./operator-process.ts";
import { federationConfig, federationPeer, peerDomain } from "./peers.ts";

const kubeconfig = inject("kubeconfig");
let admin: RestClient;
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "reliability-test");
  ns = await createTestNamespace(kubeconfig, "invalid");
  operator = startOperatorProcess({ kubeconfig, namespace: ns.name, identity: "invalid-operator" });
  await waitFor(() => operator.logged("controller started").length > 0, { description: "the operator to start", timeoutMs: 30_000 });
});
afterAll(async () => {
  await stopOperatorProcesses();
  await ns?.delete();
});

// JSON, not YAML: kubectl reads YAML 1.1, where an unquoted yes would already be a boolean.
const apply = (object: object) => kubectl(["apply", "--validate=strict", "-n", ns.name, "-f", "-"], { kubeconfig, stdin: JSON.stringify(object) });

describe("malformed FederationConfig and FederationPeer objects", () => {
  it("has at least 20 cases", () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(INVALID_CASES)("refuses $name, naming $field", async ({ object, field }) => {
    const result = await apply(object);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/is invalid|strict decoding error/);
    expect(result.stderr).toContain(field);
  });

  it("refuses changing the domain of an existing peer", async () => {
    const ca = await createCertificateAuthority({ commonName: "Peer CA", validityDays: 30 });
    const original = federationPeer(900, ca.certificatePem);
    expect((await apply(original)).code).toBe(0);
    const result = await apply({ ...original, spec: { ...original.spec, domain: "elsewhere.example" } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec\.domain: Invalid value: .*domain is immutable/);
  });

  it("stored none of them, and the running operator still reconciles a valid peer", async () => {
    const listed = await kubectl(["get", "federationconfigs,federationpeers", "-n", ns.name, "-o", "name"], { kubeconfig });
    expect(listed.code).toBe(0);
    const stored = new Set(listed.stdout.split("\n").map((line) => line.split("/")[1]));
    expect(INVALID_CASES.map((c) => c.name).filter((name) => stored.has(name))).toEqual([]);

    const ca = await createCertificateAuthority({ commonName: "Peer CA", validityDays: 30 });
    expect((await apply(federationConfig)).code).toBe(0);
    expect((await apply(federationPeer(1, ca.certificatePem))).code).toBe(0);
    await waitFor(async () => (await federatorRemotes(admin, ns.name))?.includes(peerDomain(1)), { description: "the valid peer in federator.yaml", timeoutMs: 30_000 });
    await waitFor(async () => (await peerStates(admin, ns.name)).accepted.includes(peerDomain(1)), { description: "the valid peer Accepted", timeoutMs: 30_000 });
    expect(operator.exited()).toBe(false);
    expect(operator.lines().filter((line) => Number(line["level"]) >= 50)).toEqual([]); // nothing logged at error or fatal
  });
});
