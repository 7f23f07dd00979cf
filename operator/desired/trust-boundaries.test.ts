// Attacks on the operator's trust boundaries (issue "Trust boundaries"), each against the pure
// decisions of desired/*: what a FederationPeer or FederationConfig editor can make the operator
// reveal, run, mount, trust or forward.
import { beforeAll, describe, expect, it } from "vitest";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import type { CertificateAuthority } from "../../lib/certs/issue.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { ca, config, peer, readyCertificate } from "../testing/fixtures.ts";
import { desired, type DesiredInput } from "./desired.ts";
import { EMPTY_REFERENCED, type ReferencedData } from "./referenced.ts";

const NOW = new Date();
let caB: CertificateAuthority;
beforeAll(async () => {
  caB = await ca("B CA");
});

const input = (over: Partial<DesiredInput>): DesiredInput => ({
  config: config(),
  peers: [],
  referenced: EMPTY_REFERENCED,
  certificate: readyCertificate,
  rollout: { replicas: 2, availableReplicas: 2 },
  now: NOW,
  expiryWarningDays: 30,
  ...over,
});
const find = (objects: readonly KubeObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe("a FederationPeer editor who cannot read Secrets", () => {
  const statusFor = (secrets: ReferencedData["secrets"]) => {
    const state = desired(input({ referenced: { secrets, configMaps: new Map() }, peers: [peer("probe", { domain: "probe.example", caBundle: { secretRef: { name: "target", key: "tls.key" } } })] }));
    const status = state.peerStatuses.get("probe")!;
    return { conditions: status.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })), message: status.message, caCertificates: status.caCertificates };
  };

  it("cannot tell from the peer's status whether a Secret exists, has a key, or which PEM type it holds", () => {
    const privateKey = createPrivateKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" })).export({ format: "pem", type: "pkcs8" }).toString();
    const missing = statusFor(new Map());
    const noKey = statusFor(new Map([["target", { "tls.crt": caB.certificatePem }]]));
    const holdsKey = statusFor(new Map([["target", { "tls.key": privateKey }]]));
    const holdsGarbage = statusFor(new Map([["target", { "tls.key": "not pem at all" }]]));
    expect(noKey).toEqual(missing);
    expect(holdsKey).toEqual(missing);
    expect(holdsGarbage).toEqual(missing);
    expect(JSON.stringify(missing)).not.toMatch(/PRIVATE KEY|not found|has no key/);
    // Still actionable for whoever may read the Secret.
    expect(missing.conditions).toContainEqual(expect.objectContaining({ type: "CAValid", status: "False", reason: "CABundleUnusable", message: expect.stringMatching(/Secret target \(key tls\.key\) is not usable/) }));
  });

  it("still gets precise messages about a ConfigMap, which they may read anyway", () => {
    const state = desired(input({ referenced: { secrets: new Map(), configMaps: new Map([["c-ca", { other: "x" }]]) }, peers: [peer("c", { domain: "c.example", caBundle: { configMapRef: { name: "c-ca" } } })] }));
    expect(state.peerStatuses.get("c")!.conditions).toContainEqual(expect.objectContaining({ reason: "CABundleKeyMissing", message: expect.stringMatching(/ConfigMap c-ca has no key ca.crt \(it has: other\)/) }));
  });
});

// Pod labels of wire-server's charts (charts/wire-server/templates/{brig,galley,cargohold,
// background-worker}/deployment.yaml, wire-server df05bcaa): `app: <component>`.
describe("the federator's internal port", () => {
  type Rule = { from?: unknown[]; ports: { port: number }[] };
  const internalRule = (c = config()) => {
    const policy = find(desired(input({ config: c })).objects, "NetworkPolicy", "wire-federator")!;
    return (policy["spec"] as { ingress: Rule[] }).ingress.find((r) => r.ports.some((p) => p.port === c.spec.federator.ports.internal))!;
  };

  it("cannot be reached by a pod of the namespace that is not a Wire component", () => {
    expect(internalRule().from).toEqual(["brig", "galley", "cargohold", "background-worker"].map((app) => ({ podSelector: { matchLabels: { app } } })));
  });

  it("admits the pods a FederationConfig names instead", () => {
    const c = config({ federator: { internalClients: [{ matchLabels: { "app.kubernetes.io/name": "brig" } }] } });
    expect(internalRule(c).from).toEqual([{ podSelector: { matchLabels: { "app.kubernetes.io/name": "brig" } } }]);
  });
});
