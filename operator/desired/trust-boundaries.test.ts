// Attacks on the operator's trust boundaries (issue "Trust boundaries"), each against the pure
// decisions of desired/*: what a FederationPeer or FederationConfig editor can make the operator
// reveal, run, mount, trust or forward.
import { beforeAll, describe, expect, it } from "vitest";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import type { CertificateAuthority } from "../../lib/certs/issue.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { ca, config, desiredInput, peer } from "../testing/fixtures.ts";
import { admitSpec, DEFAULT_FEDERATOR_IMAGE, DEFAULT_POLICY } from "./admission.ts";
import { desired, type DesiredInput } from "./desired.ts";
import { parseCertificateBundle } from "../../lib/certs/pem.ts";
import type { ReferencedData } from "./referenced.ts";

const NOW = new Date();
let caB: CertificateAuthority;
let many: CertificateAuthority[];
beforeAll(async () => {
  caB = await ca("B CA");
  many = await Promise.all(Array.from({ length: 17 }, (_, i) => ca(`Many CA ${i}`)));
});

const input = (over: Partial<DesiredInput>): DesiredInput => desiredInput(NOW, over);
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

describe("one FederationPeer's caBundle", () => {
  const bundleOf = (objects: readonly KubeObject[]) => Buffer.from((find(objects, "Secret", "wire-ca-bundle")!["data"] as Record<string, string>)["ca.crt"]!, "base64").toString();
  const subjects = (objects: readonly KubeObject[]) => {
    const parsed = parseCertificateBundle(bundleOf(objects));
    return parsed.ok ? parsed.certificates.map((c) => c.subject).sort() : [];
  };
  const older = { creationTimestamp: "2026-01-01T00:00:00Z" };
  const newer = { creationTimestamp: "2026-03-01T00:00:00Z" };

  it("cannot freeze the CA bundle for all by holding more CAs than a peer may", () => {
    const pem = many.map((c) => c.certificatePem).join("");
    const state = desired(input({ peers: [peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } }, older), peer("huge", { domain: "huge.example", caBundle: { pem } }, newer)] }));
    expect(subjects(state.objects)).toEqual(["CN=B CA"]);
    expect(state.peerStatuses.get("huge")!.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "False", reason: "TooManyCAs", message: expect.stringMatching(/huge.example is left out of the CA bundle: its caBundle has 17 CA certificate\(s\)/) }));
    expect(state.configStatus.conditions).toContainEqual(expect.objectContaining({ type: "CABundleReady", status: "False", message: expect.stringMatching(/FederationPeer huge \(TooManyCAs\)/) }));
    expect(state.configStatus.peers).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it("cannot push established peers out of a full bundle: the newcomer is left out", () => {
    const pem = (from: number) => many.slice(from, from + 4).map((c) => c.certificatePem).join("");
    const bytes = Buffer.byteLength(pem(0)) + 400;
    const peers = [peer("first", { domain: "first.example", caBundle: { pem: pem(0) } }, older), peer("late", { domain: "late.example", caBundle: { pem: pem(4) } }, newer)];
    const state = desired(input({ peers, bundleBudget: { casPerPeer: 16, bytesPerPeer: 64 * 1024, totalBytes: bytes } }));
    expect(Buffer.byteLength(bundleOf(state.objects))).toBeLessThanOrEqual(bytes);
    expect(subjects(state.objects)).toEqual(many.slice(0, 4).map((_, i) => `CN=Many CA ${i}`).sort());
    expect(state.peerStatuses.get("late")!.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "False", reason: "CABundleFull" }));
    expect(state.peerStatuses.get("first")!.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
  });
});

describe("a FederationConfig editor who may not create Deployments or read Secrets", () => {
  const admitted = (spec: Parameters<typeof config>[0], policy = DEFAULT_POLICY) => {
    const { config: admittedConfig, refusals } = admitSpec(config(spec), policy);
    return desired(input({ config: admittedConfig, refusals }));
  };
  const image = (objects: readonly KubeObject[]) =>
    (find(objects, "Deployment", "wire-federator")!["spec"] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;

  it("cannot run an image of their choice", () => {
    const state = admitted({ federator: { image: "registry.evil.example/federator:latest" } });
    expect(state.held).toContain("Deployment/wire-federator");
    expect(image(state.objects)).not.toBe("registry.evil.example/federator:latest");
    expect(state.configStatus.conditions).toContainEqual(expect.objectContaining({ type: "SpecAllowed", status: "False", reason: "ImageNotAllowed", message: expect.stringMatching(/^spec.federator.image registry.evil.example\/federator:latest is not an image this operator runs/) }));
    expect(state.configStatus.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "False", reason: "ImageNotAllowed" }));
  });

  it("runs the operator's image, or one the operator allows", () => {
    expect(image(admitted({}).objects)).toBe(DEFAULT_FEDERATOR_IMAGE);
    const policy = { ...DEFAULT_POLICY, federatorImage: "registry.example/federator:2", allowedFederatorImages: ["registry.example/federator:3"] };
    expect(image(admitted({}, policy).objects)).toBe("registry.example/federator:2");
    const picked = admitted({ federator: { image: "registry.example/federator:3" } }, policy);
    expect(image(picked.objects)).toBe("registry.example/federator:3");
    expect(picked.held.size).toBe(0);
  });

  it("cannot have a Secret mounted into the federator, or granted to it, before it validated as a key pair for infraDomain", () => {
    const notValidated = { ready: { type: "CertificateReady", status: "False" as const, reason: "SecretIncomplete", message: "no tls.key" }, secrets: [] };
    const c = config({ certificate: { secretRef: { name: "someone-elses-secret" } }, federator: { reload: "Watch" } });
    const state = desired(input({ config: c, certificate: notValidated }));
    for (const output of ["Deployment/wire-federator", "Role/wire-federator", "RoleBinding/wire-federator"]) expect(state.held).toContain(output);
    expect(desired(input({ config: c })).held.size).toBe(0);
  });

  it.each([
    ["an address", "http://10.0.0.7:22"],
    ["another namespace's Service", "http://vault.secrets.svc:8200"],
    ["a host outside the cluster", "http://attacker.example.com:8080"],
    ["user info that hides the host", "http://brig@attacker.example.com"],
  ])("cannot point the federator and the brig sync at %s", (_what, url) => {
    const { config: admittedConfig, refusals } = admitSpec(config({ federator: { services: { brig: url } } }), DEFAULT_POLICY);
    expect(admittedConfig.spec.federator.services.brig).toBe("http://brig:8080");
    expect(refusals).toEqual([expect.objectContaining({ field: "spec.federator.services.brig", reason: "ServiceTargetNotAllowed" })]);
  });

  it.each(["http://brig:8080", "http://brig-eu.wire:8080", "http://brig.wire.svc:8080/", "https://brig.wire.svc.cluster.local"])("may point the federator at a Service of its namespace: %s", (url) => {
    expect(admitSpec(config({ federator: { services: { brig: url } } }), DEFAULT_POLICY).refusals).toEqual([]);
  });
});
