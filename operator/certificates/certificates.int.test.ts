// The own certificate in each mode, against the real API server: what `kubectl get fc -o yaml`
// and the peers (through openssl) see. cert-manager itself is not installed: the test installs its
// Certificate CRD (a fixture) and plays cert-manager's part by writing the Secret.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { createCertificateAuthority, createIntermediateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/certs/issue.ts";
import { parseCertificateBundle, type ParsedCertificate } from "../../lib/certs/pem.ts";
import { kubectl } from "../../e2e/support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../../e2e/support/namespace.ts";
import { waitFor } from "../../e2e/support/wait-for.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { stableJson } from "../../lib/kube/apply.ts";
import { getObject } from "../../lib/kube/get-object.ts";
import { RESOURCES, resourcePath, type KindName } from "../kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { startOperator, type OperatorUnderTest } from "../testing/operator-under-test.ts";

const kubeconfig = inject("kubeconfig");
const CRD_FILE = join(import.meta.dirname, "fixtures", "cert-manager-certificate-crd.yaml");
const CRD_NAME = "certificates.cert-manager.io";
const DOMAIN = "federator.a.example";

let admin: RestClient;
let root: CertificateAuthority;
let issuing: CertificateAuthority;
let dir: string;
const running: OperatorUnderTest[] = [];
const children: ChildProcess[] = [];
const namespaces: TestNamespace[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  root = await createCertificateAuthority({ commonName: "A Root CA", validityDays: 3650 });
  issuing = await createIntermediateAuthority({ ca: root, commonName: "A Issuing CA", validityDays: 365 });
  dir = mkdtempSync(join(tmpdir(), "certificates-int-"));
});
afterEach(async () => {
  for (const operator of running.splice(0)) operator.stop();
  await Promise.all(
    children.splice(0).map((child) =>
      child.exitCode !== null || child.signalCode !== null ? undefined : new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.kill("SIGKILL")))),
  );
  await Promise.all(namespaces.splice(0).map((ns) => ns.delete()));
});
afterAll(async () => {
  await kubectl(["delete", "crd", CRD_NAME, "--ignore-not-found"], { kubeconfig });
  rmSync(dir, { recursive: true, force: true });
});

async function setup(): Promise<{ ns: string; operator: OperatorUnderTest }> {
  const ns = await createTestNamespace(kubeconfig, "certs");
  namespaces.push(ns);
  const operator = await startOperator(kubeconfig, [ns.name]);
  running.push(operator);
  return { ns: ns.name, operator };
}

const apply = async (ns: string, ...objects: object[]) => {
  const result = await kubectl(["apply", "-n", ns, "-f", "-"], { kubeconfig, stdin: objects.map((o) => stringify(o)).join("---\n") });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
};

const get = (kind: KindName, ns: string, name: string): Promise<KubeObject | undefined> => getObject(admin, RESOURCES[kind], ns, name);

const fc = (certificate: object) => ({
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire" },
  spec: { backendDomain: "a.example", infraDomain: DOMAIN, certificate },
});
const tlsSecret = (name: string, data: Record<string, string>, annotations: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/tls",
  metadata: { name, annotations },
  stringData: data,
});

type Condition = { type: string; status: string; reason: string; message: string };
const statusOf = async (ns: string) => ((await get("FederationConfig", ns, "wire"))?.["status"] ?? {}) as { conditions?: Condition[]; certificateNotAfter?: string };
const certificateReady = async (ns: string) => (await statusOf(ns)).conditions?.find((c) => c.type === "CertificateReady");
const waitForCertificateReady = (ns: string, status: string, reason: string, timeoutMs = 20_000) =>
  waitFor(async () => {
    const c = await certificateReady(ns);
    return c?.status === status && c.reason === reason ? c : undefined;
  }, { description: `CertificateReady=${status} (${reason})`, timeoutMs });

const data = (object: KubeObject | undefined, key: string) => {
  const value = ((object?.["data"] ?? {}) as Record<string, string>)[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
};
const publishedCA = async (ns: string) => ((await get("ConfigMap", ns, "wire-ca-public"))?.["data"] as Record<string, string> | undefined)?.["ca.crt"];
const leafIn = async (ns: string, name = "wire-tls"): Promise<ParsedCertificate | undefined> => {
  const parsed = parseCertificateBundle(data(await get("Secret", ns, name), "tls.crt") ?? "");
  return parsed.ok ? parsed.certificates[0] : undefined;
};
const podTemplate = async (ns: string) => stableJson(((await get("Deployment", ns, "wire-federator"))?.["spec"] as { template?: unknown } | undefined)?.template);
const lifetimeMs = (c: ParsedCertificate) => c.notAfter.getTime() - c.notBefore.getTime();

function openssl(args: readonly string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("selfSigned", () => {
  it("issues a certificate openssl verifies against the published CA, renews it without touching the pods, and keeps the CA", async () => {
    const { ns } = await setup();
    await apply(ns, fc({ selfSigned: { duration: "720h" } }));
    await waitForCertificateReady(ns, "True", "Issued");

    const ca = (await publishedCA(ns))!;
    const chain = data(await get("Secret", ns, "wire-tls"), "tls.crt")!;
    const first = (await leafIn(ns))!;
    writeFileSync(join(dir, "ca.pem"), ca);
    writeFileSync(join(dir, "leaf.pem"), first.pem);
    for (const purpose of ["sslserver", "sslclient"]) {
      expect(openssl(["verify", "-purpose", purpose, "-verify_hostname", DOMAIN, "-CAfile", join(dir, "ca.pem"), join(dir, "leaf.pem")])).toMatch(/leaf\.pem: OK/);
    }
    const text = openssl(["x509", "-in", join(dir, "leaf.pem"), "-noout", "-text"]);
    expect(text).toMatch(new RegExp(`X509v3 Subject Alternative Name: (critical)?\\s*DNS:${DOMAIN.replace(/\./g, "\\.")}\\s`));
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/ASN1 OID: prime256v1/);
    expect(chain.startsWith(first.pem)).toBe(true);
    expect(lifetimeMs(first)).toBe(720 * 3_600_000);
    expect((await statusOf(ns)).certificateNotAfter).toBe(first.notAfter.toISOString());

    await waitFor(() => get("Deployment", ns, "wire-federator"), { description: "the federator Deployment" });
    const template = await podTemplate(ns);

    // A shorter duration renews at once; 30 s certificates then renew on their own at 2/3 of their life.
    await apply(ns, fc({ selfSigned: { duration: "30s" } }));
    const second = await waitFor(async () => {
      const leaf = await leafIn(ns);
      return leaf && leaf.sha256Fingerprint !== first.sha256Fingerprint ? leaf : undefined;
    }, { description: "a renewed leaf after the duration was shortened", timeoutMs: 20_000 });
    expect(lifetimeMs(second)).toBe(30_000);
    const third = await waitFor(async () => {
      const leaf = await leafIn(ns);
      return leaf && leaf.sha256Fingerprint !== second.sha256Fingerprint ? leaf : undefined;
    }, { description: "a leaf renewed at 2/3 of its 30 s life, with no spec change", timeoutMs: 40_000 });
    // Renewed after two thirds of the old leaf's life, and before it expired.
    const renewedAt = Date.now();
    expect(renewedAt).toBeGreaterThanOrEqual(second.notBefore.getTime() + 20_000);
    expect(renewedAt).toBeLessThan(second.notAfter.getTime());
    writeFileSync(join(dir, "leaf.pem"), third.pem);
    expect(openssl(["verify", "-purpose", "sslclient", "-CAfile", join(dir, "ca.pem"), join(dir, "leaf.pem")])).toMatch(/OK/);
    expect(await podTemplate(ns)).toBe(template);
    expect(await publishedCA(ns)).toBe(ca);

    // A new operator process reads the CA back from its Secret instead of making a new one.
    await apply(ns, fc({ selfSigned: { duration: "720h" } }));
    for (const operator of running.splice(0)) operator.stop();
    const restarted = await startOperator(kubeconfig, [ns]);
    running.push(restarted);
    await waitFor(async () => {
      const leaf = await leafIn(ns);
      return leaf !== undefined && lifetimeMs(leaf) === 720 * 3_600_000;
    }, { description: "a 720h leaf issued by the restarted operator", timeoutMs: 20_000 });
    await restarted.controller.idle();
    expect(await publishedCA(ns)).toBe(ca);
    expect(await podTemplate(ns)).toBe(template);
  });
});

describe("secretRef", () => {
  it("reports a Secret without its intermediate, naming the missing issuer, until the chain is complete", async () => {
    const { ns } = await setup();
    const leaf = await issueCertificate({ ca: issuing, dnsNames: [DOMAIN], validityDays: 60 });
    await apply(ns, tlsSecret("wire-cert", { "tls.crt": leaf.certificatePem, "tls.key": leaf.privateKeyPem, "ca.crt": root.certificatePem }), fc({ secretRef: { name: "wire-cert" } }));
    const notReady = await waitForCertificateReady(ns, "False", "IncompleteChain");
    expect(notReady.message).toMatch(/^Secret wire-cert \(spec\.certificate\.secretRef\): the issuer "CN=A Issuing CA" of "CN=federator\.a\.example" is missing/);
    expect((await statusOf(ns)).conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "IncompleteChain" });
    const event = await waitFor(async () => {
      const list = (await admin.request("GET", resourcePath(RESOURCES.Event, ns), { query: { fieldSelector: "involvedObject.name=wire" } })).body as { items: { reason: string; type: string; message: string }[] };
      return list.items.find((e) => e.reason === "IncompleteChain");
    }, { description: "an IncompleteChain Event on the FederationConfig" });
    expect(event.type).toBe("Warning");
    expect(event.message).toMatch(/CN=A Issuing CA/);

    await apply(ns, tlsSecret("wire-cert", { "tls.crt": leaf.chainPem, "tls.key": leaf.privateKeyPem, "ca.crt": root.certificatePem }));
    const ready = await waitForCertificateReady(ns, "True", "Valid");
    expect(ready.message).toMatch(/with 1 intermediate\(s\)/);
    const notAfter = parseCertificateBundle(leaf.certificatePem);
    expect((await statusOf(ns)).certificateNotAfter).toBe(notAfter.ok ? notAfter.certificates[0]!.notAfter.toISOString() : "");
    const status = JSON.stringify(await get("FederationConfig", ns, "wire"));
    expect(status).not.toMatch(/PRIVATE KEY/);
  });
});

describe("certManager", () => {
  it("reports a cluster without cert-manager quietly, then owns a Certificate once the CRD exists and uses the Secret cert-manager writes", async () => {
    expect((await kubectl(["delete", "crd", CRD_NAME, "--ignore-not-found"], { kubeconfig })).code).toBe(0);
    const { ns, operator } = await setup();
    const spec = { certManager: { issuerRef: { name: "federation-ca", kind: "Issuer" }, duration: "1440h", renewBefore: "360h" } };
    await apply(ns, fc(spec));
    const missing = await waitForCertificateReady(ns, "False", "CertManagerNotInstalled");
    expect(missing.message).toMatch(/install cert-manager/);
    for (let i = 0; i < 3; i++) {
      operator.controller.resyncAll();
      await operator.controller.idle();
    }
    const logs = operator.logs.map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(logs.filter((l) => l.level >= 40 && l.msg !== "cert-manager Certificate API not served; certManager configs stay CertificateReady=False")).toEqual([]);
    expect(logs.filter((l) => l.msg.startsWith("cert-manager Certificate API not served"))).toHaveLength(1);

    // cert-manager gets installed: the operator notices and creates its Certificate.
    expect((await kubectl(["apply", "-f", CRD_FILE], { kubeconfig })).code).toBe(0);
    expect((await kubectl(["wait", "--for=condition=Established", `crd/${CRD_NAME}`, "--timeout=30s"], { kubeconfig })).code).toBe(0);
    const certificate = await waitFor(async () => {
      const result = await kubectl(["get", "certificates.cert-manager.io", "wire-tls", "-n", ns, "-o", "json"], { kubeconfig });
      return result.code === 0 ? (JSON.parse(result.stdout) as KubeObject) : undefined;
    }, { description: "the operator's cert-manager Certificate", timeoutMs: 30_000 });
    expect(certificate["spec"]).toEqual({
      secretName: "wire-tls",
      commonName: DOMAIN,
      dnsNames: [DOMAIN],
      duration: "1440h",
      renewBefore: "360h",
      issuerRef: { name: "federation-ca", kind: "Issuer", group: "cert-manager.io" },
      usages: ["digital signature", "server auth", "client auth"],
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    });
    expect(certificate.metadata.ownerReferences).toMatchObject([{ kind: "FederationConfig", name: "wire", controller: true }]);
    await waitForCertificateReady(ns, "False", "Issuing");

    // What cert-manager says about its Certificate shows in the FederationConfig.
    const statusPatch = { status: { conditions: [{ type: "Ready", status: "False", reason: "IssuerNotFound", message: 'Issuer "federation-ca" not found' }] } };
    const patched = await kubectl(["patch", "certificates.cert-manager.io", "wire-tls", "-n", ns, "--subresource=status", "--type=merge", "-p", JSON.stringify(statusPatch)], { kubeconfig });
    expect(patched.stderr).toBe("");
    await waitFor(async () => (await certificateReady(ns))?.message.includes('Ready=False (IssuerNotFound): Issuer "federation-ca" not found'), {
      description: "cert-manager's message in CertificateReady",
    });

    // Playing cert-manager: it writes the Secret, later rotates it.
    const issue = (validityDays: number) => issueCertificate({ ca: issuing, dnsNames: [DOMAIN], validityDays });
    const written = (leaf: IssuedCertificate) =>
      tlsSecret("wire-tls", { "tls.crt": leaf.chainPem, "tls.key": leaf.privateKeyPem, "ca.crt": root.certificatePem }, { "cert-manager.io/certificate-name": "wire-tls" });
    const notAfterOf = (leaf: IssuedCertificate) => {
      const parsed = parseCertificateBundle(leaf.certificatePem);
      return parsed.ok ? parsed.certificates[0]!.notAfter.toISOString() : "";
    };
    const firstLeaf = await issue(60);
    await apply(ns, written(firstLeaf));
    await waitForCertificateReady(ns, "True", "Valid");
    await waitFor(async () => (await statusOf(ns)).certificateNotAfter === notAfterOf(firstLeaf), { description: "certificateNotAfter of cert-manager's certificate" });
    await waitFor(() => get("Deployment", ns, "wire-federator"), { description: "the federator Deployment" });
    const template = await podTemplate(ns);
    expect(template).toContain('"secretName":"wire-tls"');

    const rotated = await issue(90);
    await apply(ns, written(rotated));
    await waitFor(async () => (await statusOf(ns)).certificateNotAfter === notAfterOf(rotated), { description: "certificateNotAfter after rotation" });
    expect(await podTemplate(ns)).toBe(template);

    // Converged: a resync rewrites neither the Certificate nor anything else.
    await operator.controller.idle();
    const before = operator.client.writes.count;
    operator.controller.resyncAll();
    await operator.controller.idle();
    expect(operator.client.writes.count - before).toBe(0);

    // Leaving certManager mode removes the Certificate, so cert-manager stops writing the Secret.
    await apply(ns, fc({ selfSigned: {} }));
    await waitForCertificateReady(ns, "True", "Issued");
    await waitFor(async () => (await kubectl(["get", "certificates.cert-manager.io", "-n", ns, "-o", "name"], { kubeconfig })).stdout.trim() === "", {
      description: "the Certificate deleted after the switch to selfSigned",
    });
    expect((await leafIn(ns))?.issuer).toMatch(/federator\.a\.example federation CA/);
  });
});

describe("peer CA expiry", () => {
  it("lists every peer CA from pem, Secret and ConfigMap, warns within the --ca-expiry-warning-days window, and leaves expired CAs out", async () => {
    const ns = await createTestNamespace(kubeconfig, "ca-expiry");
    namespaces.push(ns);
    const main = join(import.meta.dirname, "..", "main.ts");
    const args = [main, "--kubeconfig", kubeconfig, "--namespaces", ns.name, "--leader-elect=false", "--listen", "127.0.0.1:0", "--ca-expiry-warning-days", "400"];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));

    const [b, c, d] = await Promise.all(["B", "C", "D"].map((n) => createCertificateAuthority({ commonName: `${n} CA`, validityDays: 365 })));
    const expired = await createCertificateAuthority({ commonName: "Old D CA", validityDays: 10, notBefore: new Date(Date.now() - 20 * 86_400_000) });
    const lasting = await createCertificateAuthority({ commonName: "E CA", validityDays: 1000 });
    const fp = (name: string, caBundle: object) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name }, spec: { domain: `${name}.example`, caBundle } });
    await apply(
      ns.name,
      { apiVersion: "v1", kind: "Secret", metadata: { name: "c-ca" }, stringData: { "ca.crt": c!.certificatePem } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "d-ca" }, data: { "ca.crt": expired.certificatePem + d!.certificatePem } },
      fc({ selfSigned: {} }),
      fp("b", { pem: b!.certificatePem }),
      fp("c", { secretRef: { name: "c-ca" } }),
      fp("d", { configMapRef: { name: "d-ca" } }),
      fp("e", { pem: lasting.certificatePem }),
    );
    type PeerStatus = { conditions?: Condition[]; caCertificates?: { subject: string; sha256Fingerprint: string; notAfter: string }[] };
    const peerStatus = async (name: string) => ((await get("FederationPeer", ns.name, name))?.["status"] ?? {}) as PeerStatus;
    const condition = async (name: string, type: string) => (await peerStatus(name)).conditions?.find((x) => x.type === type);
    await waitFor(async () => (await condition("e", "ExpiringSoon"))?.status === "False" && (await condition("d", "ExpiringSoon"))?.status === "True", {
      description: "ExpiringSoon on all peers",
      timeoutMs: 30_000,
    });
    for (const name of ["b", "c", "d"]) expect(await condition(name, "ExpiringSoon"), name).toMatchObject({ status: "True", reason: "CAExpiringSoon" });
    expect((await condition("b", "ExpiringSoon"))!.message).toMatch(/CA "CN=B CA" expires on 2\d{3}-.*, within 400 days/);

    const fingerprint = (ca: CertificateAuthority) => {
      const parsed = parseCertificateBundle(ca.certificatePem);
      return parsed.ok ? parsed.certificates[0]!.sha256Fingerprint : "";
    };
    expect((await peerStatus("c")).caCertificates).toEqual([{ subject: "CN=C CA", sha256Fingerprint: fingerprint(c!), notAfter: expect.stringMatching(/^\d{4}-/) }]);
    expect((await peerStatus("d")).caCertificates?.map((x) => x.subject)).toEqual(["CN=Old D CA", "CN=D CA"]);
    expect(await condition("d", "CAValid")).toMatchObject({ status: "False", reason: "ExpiredCA", message: expect.stringMatching(/CA "CN=Old D CA" expired on .*; 1 valid CA certificate\(s\) still trusted/) });
    expect(await condition("d", "Accepted")).toMatchObject({ status: "True" });
    const bundle = parseCertificateBundle(data(await get("Secret", ns.name, "wire-ca-bundle"), "ca.crt") ?? "");
    expect(bundle.ok && bundle.certificates.map((x) => x.subject).sort()).toEqual(["CN=B CA", "CN=C CA", "CN=D CA", "CN=E CA"]);

    const events = await waitFor(async () => {
      const list = (await admin.request("GET", resourcePath(RESOURCES.Event, ns.name), { query: { fieldSelector: "involvedObject.name=b" } })).body as { items: { reason: string; type: string }[] };
      return list.items.find((e) => e.reason === "CAExpiringSoon");
    }, { description: "a CAExpiringSoon Event on peer b" });
    expect(events.type).toBe("Warning");
    expect(output).not.toMatch(/PRIVATE KEY/);
  });
});
