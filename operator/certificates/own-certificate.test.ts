import { describe, expect, it } from "vitest";
import { createCertificateAuthority, createIntermediateAuthority, issueCertificate } from "../../lib/certs/issue.ts";
import { desired } from "../desired/desired.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { config } from "../testing/fixtures.ts";
import { CERT_MANAGER_RECHECK_MS, desiredCertificate } from "./cert-manager.ts";
import { createCertificateManager, type CertificateContext } from "./own-certificate.ts";

const root = await createCertificateAuthority({ commonName: "A Root CA", validityDays: 3650 });
const intermediate = await createIntermediateAuthority({ ca: root, commonName: "A Issuing CA", validityDays: 365 });
const leaf = await issueCertificate({ ca: intermediate, dnsNames: ["federator.a.example"], validityDays: 90 });

const tlsSecret = (name: string, data: Readonly<Record<string, string>>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/tls",
  metadata: { name },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

const context = (overrides: Partial<CertificateContext>): CertificateContext => ({
  config: config(),
  owned: () => undefined,
  referenced: () => undefined,
  now: new Date(),
  ...overrides,
});

describe("secretRef certificates", () => {
  const fc = config({ certificate: { secretRef: { name: "wire-cert" } } });
  const withSecret = (data: Record<string, string>) => context({ config: fc, referenced: (kind, name) => (kind === "Secret" && name === "wire-cert" ? tlsSecret(name, data) : undefined) });

  it("is ready with the leaf's notAfter when the Secret holds the full chain", async () => {
    const result = await createCertificateManager().ensure(withSecret({ "tls.crt": leaf.chainPem, "tls.key": leaf.privateKeyPem, "ca.crt": root.certificatePem }));
    expect(result.ready).toMatchObject({ status: "True", reason: "Valid", message: expect.stringMatching(/with 1 intermediate\(s\)/) });
    expect(result.notAfter?.getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    // The user's Secret is read, never written: only the ingress hop's own Secrets are.
    expect(result.secrets.map((s) => s.name)).toEqual(["wire-ingress-hop-ca", "wire-federator-hop", "wire-ingress-hop"]);
  });

  it("names the missing issuer when the intermediate is left out", async () => {
    const result = await createCertificateManager().ensure(withSecret({ "tls.crt": leaf.certificatePem, "tls.key": leaf.privateKeyPem, "ca.crt": root.certificatePem }));
    expect(result.ready).toMatchObject({ status: "False", reason: "IncompleteChain", message: expect.stringMatching(/^Secret wire-cert .*the issuer "CN=A Issuing CA" .* is missing/) });
    expect(result.notAfter).toBeUndefined();
  });

  it("says which key is missing from the Secret", async () => {
    const result = await createCertificateManager().ensure(withSecret({ "tls.crt": leaf.chainPem }));
    expect(result.ready).toMatchObject({ status: "False", reason: "SecretIncomplete", message: expect.stringMatching(/has no tls\.key/) });
  });

  it("watches the referenced Secret", () => {
    expect(createCertificateManager().references(fc)).toEqual([["Secret", "wire-cert"]]);
  });
});

describe("certManager certificates", () => {
  const fc = config({ certificate: { certManager: { issuerRef: { name: "letsencrypt", kind: "ClusterIssuer" }, duration: "720h", renewBefore: "240h" } } });
  const installed = { installed: true, certificate: () => undefined };

  it("asks cert-manager for an ECDSA P-256 certificate for infraDomain with server and client auth, rotating its key", () => {
    expect(desiredCertificate(fc)).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "wire-tls" },
      spec: {
        secretName: "wire-tls",
        commonName: "federator.a.example",
        dnsNames: ["federator.a.example"],
        duration: "720h",
        renewBefore: "240h",
        issuerRef: { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" },
        usages: ["digital signature", "server auth", "client auth"],
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      },
    });
  });

  it("owns the Certificate through desired(), with the config as owner", async () => {
    const certificate = await createCertificateManager().ensure(context({ config: fc, certManager: installed }));
    const state = desired({ config: fc, peers: [], referenced: { secrets: new Map(), configMaps: new Map() }, certificate, rollout: undefined, now: new Date(), expiryWarningDays: 30 });
    const owned = state.objects.find((o) => o.kind === "Certificate");
    expect(owned?.metadata).toMatchObject({ name: "wire-tls", namespace: "wire", ownerReferences: [{ kind: "FederationConfig", name: "wire", controller: true }] });
    expect(state.objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name)).toEqual(["wire-ca-bundle", "wire-ingress-hop-ca", "wire-federator-hop", "wire-ingress-hop"]);
  });

  it("waits for cert-manager's Secret and repeats what cert-manager says", async () => {
    const certificate: KubeObject = { ...desiredCertificate(fc), status: { conditions: [{ type: "Ready", status: "False", reason: "IssuerNotFound", message: 'ClusterIssuer "letsencrypt" not found' }] } };
    const result = await createCertificateManager().ensure(context({ config: fc, certManager: { installed: true, certificate: () => certificate } }));
    expect(result.ready).toMatchObject({ status: "False", reason: "Issuing", message: expect.stringMatching(/Secret wire-tls .*Ready=False \(IssuerNotFound\): ClusterIssuer "letsencrypt" not found/) });
    expect(result.objects).toHaveLength(1);
  });

  it("uses the Secret cert-manager wrote once it is valid", async () => {
    const result = await createCertificateManager().ensure(
      context({ config: fc, certManager: installed, referenced: (_kind, name) => (name === "wire-tls" ? tlsSecret(name, { "tls.crt": leaf.chainPem, "tls.key": leaf.privateKeyPem, "ca.crt": root.certificatePem }) : undefined) }),
    );
    expect(result.ready).toMatchObject({ status: "True", reason: "Valid", message: expect.stringMatching(/written by cert-manager for Certificate wire-tls/) });
    expect(result.objects).toHaveLength(1);
  });

  it("reports a cluster without cert-manager and creates nothing there", async () => {
    const result = await createCertificateManager().ensure(context({ config: fc, certManager: { installed: false, certificate: () => undefined } }));
    expect(result.ready).toMatchObject({ status: "False", reason: "CertManagerNotInstalled", message: expect.stringMatching(/no cert-manager\.io\/v1 Certificate API/) });
    expect(result.objects ?? []).toEqual([]);
    expect(result.requeueAfterMs).toBe(CERT_MANAGER_RECHECK_MS);
  });
});
