import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FederatorConfig } from "../../lib/api/federator-config.ts";
import { issueCertificate, type CertificateAuthority } from "../../lib/certs/issue.ts";
import { compactFingerprint, parseCertificateBundle } from "../../lib/certs/pem.ts";
import { stableJson } from "../../lib/kube/apply.ts";
import { ca, config, desiredInput, peer, readyCertificate } from "../testing/fixtures.ts";
import { DENY_ALL_CA_PEM } from "./deny-all-ca.ts";
import { desired, type DesiredInput } from "./desired.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { serviceNameHolder } from "./service-name.ts";

const NOW = new Date();
let caB: CertificateAuthority, caC: CertificateAuthority, caD: CertificateAuthority, expired: CertificateAuthority, soon: CertificateAuthority;

beforeAll(async () => {
  [caB, caC, caD] = await Promise.all([ca("B CA"), ca("C CA"), ca("D CA")]);
  expired = await ca("Old CA", { notBefore: new Date(NOW.getTime() - 400 * 86_400_000), validityDays: 30 });
  soon = await ca("Soon CA", { notBefore: new Date(NOW.getTime() - 86_400_000), validityDays: 10 });
});

const input = (over: Partial<DesiredInput>): DesiredInput => desiredInput(NOW, over);

const find = (objects: readonly KubeObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`${kind}/${name} not among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
};
const bundleOf = (objects: readonly KubeObject[]) => Buffer.from((find(objects, "Secret", "wire-ca-bundle")["data"] as Record<string, string>)["ca.crt"]!, "base64").toString();
const federatorYaml = (objects: readonly KubeObject[]) => FederatorConfig.parse(parse((find(objects, "ConfigMap", "wire-federator")["data"] as Record<string, string>)["federator.yaml"]!));
const podTemplate = (objects: readonly KubeObject[]) => stableJson((find(objects, "Deployment", "wire-federator")["spec"] as { template: unknown }).template);

describe("desired state of a FederationConfig", () => {
  it("trusts exactly the accepted peers' CAs, deduplicated and in a stable order", () => {
    const peers = [
      peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } }),
      peer("c", { domain: "c.example", searchPolicy: "full_search", caBundle: { pem: caC.certificatePem + caB.certificatePem } }),
      peer("d", { domain: "d.example", infraDomain: "fed.d.example", caBundle: { pem: caD.certificatePem } }),
    ];
    const state = desired(input({ peers }));
    const bundle = parseCertificateBundle(bundleOf(state.objects));
    expect(bundle.ok && bundle.certificates.map((c) => c.subject).sort()).toEqual(["CN=B CA", "CN=C CA", "CN=D CA"]);
    expect(bundleOf(desired(input({ peers: [...peers].reverse() })).objects)).toBe(bundleOf(state.objects));
    const yaml = federatorYaml(state.objects);
    expect(yaml.remotes.map((r) => [r.domain, r.infraDomain, r.searchPolicy])).toEqual([
      ["b.example", null, "no_search"],
      ["c.example", null, "full_search"],
      ["d.example", "fed.d.example", "no_search"],
    ]);
    expect(yaml).toMatchObject({ backendDomain: "a.example", infraDomain: "federator.a.example", strategy: "AllowList" });
    expect(state.configStatus.peers).toEqual({ accepted: 3, rejected: 0, suspended: 0 });
  });

  it("tells the federator which bundle CAs are peers' and which belong to no peer (trust.extraCABundle)", () => {
    const peers = [peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } }), peer("plain", { domain: "plain.example" })];
    const referenced = { secrets: new Map(), configMaps: new Map([["extra-ca", { "ca.crt": caC.certificatePem }]]) };
    const state = desired(input({ referenced, config: config({ trust: { extraCABundle: { configMapRef: { name: "extra-ca" } } } }), peers }));
    const yaml = federatorYaml(state.objects);
    const fingerprintOf = (pem: string) => {
      const parsed = parseCertificateBundle(pem);
      return parsed.ok ? parsed.certificates.map((c) => compactFingerprint(c.x509)) : [];
    };
    expect(yaml.caFingerprints).toEqual(fingerprintOf(caB.certificatePem));
    expect(yaml.extraCAFingerprints).toEqual(fingerprintOf(caC.certificatePem));
    expect(yaml.remotes.find((r) => r.domain === "plain.example")?.cas).toEqual([]);
  });

  it("leaves out a peer with invalid PEM, with a reason, and keeps the others", () => {
    const state = desired(input({ peers: [peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } }), peer("bad", { domain: "bad.example", caBundle: { pem: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" } })] }));
    const bad = state.peerStatuses.get("bad")!;
    expect(bad.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "False", reason: "InvalidPEM" }));
    expect(bad.conditions).toContainEqual(expect.objectContaining({ type: "CAValid", status: "False", message: expect.stringMatching(/certificate 1 cannot be parsed/) }));
    expect(federatorYaml(state.objects).remotes.map((r) => r.domain)).toEqual(["b.example"]);
    expect(bundleOf(state.objects)).toContain(caB.certificatePem.trim());
  });

  it("leaves out a peer whose only CA has expired, saying when", () => {
    const state = desired(input({ peers: [peer("old", { domain: "old.example", caBundle: { pem: expired.certificatePem } })] }));
    const status = state.peerStatuses.get("old")!;
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "False", reason: "ExpiredCA", message: expect.stringMatching(/Old CA.*expired on/) }));
    expect(status.caCertificates).toHaveLength(1);
    expect(bundleOf(state.objects)).toBe(DENY_ALL_CA_PEM);
  });

  it("keeps a peer whose bundle still has a valid CA beside an expired one", () => {
    const state = desired(input({ peers: [peer("rot", { domain: "rot.example", caBundle: { pem: expired.certificatePem + caB.certificatePem } })] }));
    const status = state.peerStatuses.get("rot")!;
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "True" }));
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: "CAValid", status: "False", reason: "ExpiredCA" }));
    expect(bundleOf(state.objects)).not.toContain(expired.certificatePem.trim());
  });

  it("refuses a leaf certificate as a trust root", async () => {
    const leaf = await issueCertificate({ ca: caB, dnsNames: ["x.example"], validityDays: 30 });
    const state = desired(input({ peers: [peer("leaf", { domain: "leaf.example", caBundle: { pem: leaf.certificatePem } })] }));
    expect(state.peerStatuses.get("leaf")!.conditions).toContainEqual(expect.objectContaining({ type: "CAValid", status: "False", message: expect.stringMatching(/is not a CA/) }));
  });

  it("warns before a CA expires", () => {
    const state = desired(input({ peers: [peer("s", { domain: "s.example", caBundle: { pem: soon.certificatePem } })] }));
    expect(state.peerStatuses.get("s")!.conditions).toContainEqual(expect.objectContaining({ type: "ExpiringSoon", status: "True", reason: "CAExpiringSoon" }));
    const parsed = parseCertificateBundle(soon.certificatePem);
    expect(state.peerStatuses.get("s")!.caNotAfter).toBe(parsed.ok ? parsed.certificates[0]!.notAfter.toISOString() : "unparsable");
  });

  it("gives a domain to the oldest peer and rejects later duplicates", () => {
    const older = peer("first", { domain: "b.example", caBundle: { pem: caB.certificatePem } }, { creationTimestamp: "2026-01-01T00:00:00Z" });
    const newer = peer("second", { domain: "b.example", caBundle: { pem: caC.certificatePem } }, { creationTimestamp: "2026-02-01T00:00:00Z" });
    const state = desired(input({ peers: [newer, older] }));
    expect(state.peerStatuses.get("second")!.conditions).toContainEqual(expect.objectContaining({ reason: "DuplicateDomain", message: expect.stringMatching(/first already federates with b.example/) }));
    expect(bundleOf(state.objects)).not.toContain(caC.certificatePem.trim());
  });

  it("takes a suspended peer off the allow list and out of the bundle", () => {
    const state = desired(input({ peers: [peer("b", { domain: "b.example", suspend: true, caBundle: { pem: caB.certificatePem } })] }));
    expect(federatorYaml(state.objects).remotes).toEqual([]);
    expect(state.peerStatuses.get("b")!.conditions).toContainEqual(expect.objectContaining({ type: "Accepted", status: "False", reason: "Suspended" }));
    expect(state.configStatus.peers).toEqual({ accepted: 0, rejected: 0, suspended: 1 });
  });

  it("reads a peer's CA from a referenced Secret and reports a missing one", () => {
    const referenced = { secrets: new Map([["b-ca", { "ca.crt": caB.certificatePem }]]), configMaps: new Map() };
    const state = desired(input({ referenced, peers: [peer("b", { domain: "b.example", caBundle: { secretRef: { name: "b-ca" } } }), peer("c", { domain: "c.example", caBundle: { configMapRef: { name: "c-ca" } } })] }));
    expect(bundleOf(state.objects)).toContain(caB.certificatePem.trim());
    expect(state.peerStatuses.get("c")!.conditions).toContainEqual(expect.objectContaining({ reason: "CABundleNotFound", message: expect.stringMatching(/ConfigMap c-ca not found/) }));
  });

  it.each([
    ["AllowNone", { strategy: "AllowNone" as const }, true],
    ["no peers", {}, false],
  ])("with %s still yields valid objects that trust nobody", (_name, spec, withPeer) => {
    const peers = withPeer ? [peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } })] : [];
    const state = desired(input({ config: config(spec), peers }));
    expect(bundleOf(state.objects)).toBe(DENY_ALL_CA_PEM);
    expect(() => federatorYaml(state.objects)).not.toThrow();
    expect(find(state.objects, "Ingress", "wire-federator")).toBeDefined();
  });
});

describe("the Federation Ingress", () => {
  it("carries the mutual TLS annotations of the design, no snippet, and the allowed extra annotations", () => {
    const c = config({ ingress: { verifyDepth: 3, annotations: { "nginx.ingress.kubernetes.io/proxy-read-timeout": "120" } } });
    const ingress = find(desired(input({ config: c })).objects, "Ingress", "wire-federator");
    expect(ingress.metadata.annotations).toMatchObject({
      "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
      "nginx.ingress.kubernetes.io/auth-tls-secret": "wire/wire-ca-bundle",
      "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "3",
      "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream": "true",
      "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
      "nginx.ingress.kubernetes.io/proxy-ssl-secret": "wire/wire-ingress-hop",
      "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
      "nginx.ingress.kubernetes.io/proxy-ssl-name": "federator.wire.svc",
      "nginx.ingress.kubernetes.io/proxy-ssl-server-name": "on",
      "nginx.ingress.kubernetes.io/ssl-redirect": "true",
      "nginx.ingress.kubernetes.io/proxy-body-size": String(100 * 1024 * 1024),
      "nginx.ingress.kubernetes.io/proxy-read-timeout": "120",
    });
    expect(Object.keys(ingress.metadata.annotations ?? {}).filter((key) => key.endsWith("-snippet"))).toEqual([]);
    expect(ingress["spec"]).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: ["federator.a.example"], secretName: "wire-tls" }],
      rules: [{ host: "federator.a.example", http: { paths: [{ path: "/federation", pathType: "Prefix", backend: { service: { name: "federator", port: { name: "federator-ext" } } } }] } }],
    });
  });

  it("uses the user's certificate Secret in secretRef mode", () => {
    const ingress = find(desired(input({ config: config({ certificate: { secretRef: { name: "my-cert" } } }) })).objects, "Ingress", "wire-federator");
    expect((ingress["spec"] as { tls: { secretName: string }[] }).tls[0]!.secretName).toBe("my-cert");
  });

  it("is replaced by a LoadBalancer and federator-side TLS in Passthrough mode", () => {
    const state = desired(input({ config: config({ ingress: { mode: "Passthrough" } }) }));
    expect(state.objects.some((o) => o.kind === "Ingress")).toBe(false);
    expect(find(state.objects, "Service", "wire-federator-external")["spec"]).toMatchObject({ type: "LoadBalancer", ports: [{ port: 443, targetPort: "external" }] });
    expect(federatorYaml(state.objects).listen.externalTLS).toBe(true);
  });
});

describe("rollouts", () => {
  it("do not happen for allow list, CA bundle or certificate changes", () => {
    const before = desired(input({ peers: [] }));
    const after = desired(input({ peers: [peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } })], certificate: { ...readyCertificate, secrets: [{ name: "wire-tls", type: "kubernetes.io/tls", data: { "tls.crt": caC.certificatePem } }] } }));
    expect(bundleOf(after.objects)).not.toBe(bundleOf(before.objects));
    expect(podTemplate(after.objects)).toBe(podTemplate(before.objects));
  });

  it.each([
    ["image", { image: "registry.example/federator:2" }],
    ["ports", { ports: { internal: 9080 } }],
    ["replicas", { replicas: 3 }],
    ["resources", { resources: { limits: { memory: "512Mi" } } }],
  ])("happen when %s change", (_field, federator) => {
    expect(podTemplate(desired(input({ config: config({ federator }) })).objects)).not.toBe(podTemplate(desired(input({})).objects));
  });
});

describe("federator identity", () => {
  it("grants a Watch-mode federator read access to exactly its own ConfigMap and Secrets", () => {
    const state = desired(input({ config: config({ federator: { reload: "Watch" } }) }));
    expect(find(state.objects, "Role", "wire-federator")["rules"]).toEqual([
      { apiGroups: [""], resources: ["configmaps"], resourceNames: ["wire-federator"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["wire-ca-bundle", "wire-federator-hop", "wire-tls"], verbs: ["get", "list", "watch"] },
    ]);
    const container = ((find(state.objects, "Deployment", "wire-federator")["spec"] as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!);
    expect(container.args).toContain("--watch-configmap=wire-federator");
  });

  it("gives a Files-mode federator no API access", () => {
    const state = desired(input({}));
    expect(state.objects.some((o) => o.kind === "Role")).toBe(false);
    expect((find(state.objects, "Deployment", "wire-federator")["spec"] as { template: { spec: { automountServiceAccountToken: boolean } } }).template.spec.automountServiceAccountToken).toBe(false);
  });
});

describe("statuses", () => {
  it("are identical when recomputed from their own output (so a resync writes nothing)", () => {
    const peers = [peer("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } })];
    const first = desired(input({ peers }));
    const later = new Date(NOW.getTime() + 60_000);
    const withStatus = peers.map((p) => ({ ...p, status: first.peerStatuses.get(p.metadata.name)! }));
    const second = desired(input({ peers: withStatus, config: { ...config(), status: first.configStatus }, now: later }));
    expect(stableJson(second.peerStatuses.get("b"))).toBe(stableJson(first.peerStatuses.get("b")));
    expect(stableJson(second.configStatus)).toBe(stableJson(first.configStatus));
    expect(second.objects.map(stableJson)).toEqual(first.objects.map(stableJson));
  });

  it("report a config Ready only when certificate, ingress and federator are", () => {
    expect(desired(input({})).configStatus.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    const waiting = desired(input({ rollout: { replicas: 2, availableReplicas: 0 } })).configStatus.conditions;
    expect(waiting).toContainEqual(expect.objectContaining({ type: "Ready", status: "False", reason: "Unavailable" }));
    const noCert = desired(input({ certificate: { ready: { type: "CertificateReady", status: "False", reason: "SecretNotFound", message: "Secret x not found" }, secrets: [] } })).configStatus.conditions;
    expect(noCert).toContainEqual(expect.objectContaining({ type: "Ready", status: "False", reason: "SecretNotFound", message: expect.stringMatching(/Secret x not found/) }));
  });
});

// wire-server's charts/wire-server/templates/{brig,galley,cargohold}/configmap.yaml point the
// services at `federator:8080`; charts/federator/templates/service.yaml names the ports
// `internal` and `federator-ext`.
describe("the federator Service", () => {
  it("is named federator with wire-server's port names, where stock brig, galley and cargohold look for it", () => {
    const state = desired(input({}));
    expect(find(state.objects, "Service", "federator")["spec"]).toMatchObject({
      type: "ClusterIP",
      ports: [
        { name: "internal", port: 8080, targetPort: "internal" },
        { name: "federator-ext", port: 8081, targetPort: "external" },
      ],
    });
    expect(state.configStatus.conditions).toContainEqual(expect.objectContaining({ type: "ServiceReady", status: "True", message: "brig, galley and cargohold reach the federator at federator:8080" }));
  });

  it("takes its name from spec.federator.serviceName", () => {
    const state = desired(input({ config: config({ federator: { serviceName: "federator-eu" } }) }));
    expect(find(state.objects, "Service", "federator-eu")).toBeDefined();
    expect(JSON.stringify(find(state.objects, "Ingress", "wire-federator")["spec"])).toContain('"name":"federator-eu"');
  });

  it("is neither written nor routed to when another config of the namespace holds the name, and says so", () => {
    const state = desired({ ...input({}), serviceNameHeldBy: "first" });
    expect(state.objects.some((o) => o.kind === "Service" && o.metadata.name === "federator")).toBe(false);
    expect(state.objects.some((o) => o.kind === "Ingress")).toBe(false);
    expect(state.configStatus.conditions).toContainEqual(
      expect.objectContaining({ type: "Ready", status: "False", reason: "ServiceNameConflict", message: expect.stringMatching(/Service federator belongs to FederationConfig first of this namespace; set spec.federator.serviceName/) }),
    );
  });
});

describe("serviceNameHolder", () => {
  const claim = (config: string, serviceName: string, createdAt: string) => ({ config, serviceName, createdAt });
  it("leaves the name with the oldest config and tells the later one", () => {
    const first = claim("first", "federator", "2026-01-01T00:00:00Z");
    const later = claim("later", "federator", "2026-02-01T00:00:00Z");
    const other = claim("other", "federator-us", "2025-01-01T00:00:00Z");
    expect(serviceNameHolder(first, [later, first, other])).toBeUndefined();
    expect(serviceNameHolder(later, [later, first, other])).toBe("first");
    expect(serviceNameHolder(other, [later, first, other])).toBeUndefined();
  });

  it("leaves the name with the config whose Service it already is (timestamps have whole seconds)", () => {
    const holder = { config: "wire", serviceName: "federator", createdAt: "2026-01-01T00:00:00Z", holdsService: true };
    const sameSecond = claim("second", "federator", "2026-01-01T00:00:00Z");
    expect(serviceNameHolder(sameSecond, [sameSecond, holder])).toBe("wire");
    expect(serviceNameHolder(holder, [sameSecond, holder])).toBeUndefined();
  });
});
