// Attacks on the operator's outputs against the real kube-apiserver + etcd + kube-controller-
// manager (issue "Trust boundaries"): what a FederationConfig or FederationPeer editor can make
// the operator overwrite, delete or freeze.
import { configManifest, peerManifest } from "./testing/fixtures.ts";
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createCertificateAuthority, type CertificateAuthority } from "../lib/certs/issue.ts";
import { parseCertificateBundle } from "../lib/certs/pem.ts";
import { waitFor } from "../e2e/support/wait-for.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { getObject } from "../lib/kube/get-object.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../lib/kube/rest.ts";
import { RESOURCES, resourcePath, type KindName } from "./kube/resources.ts";
import { bigCAs } from "./testing/big-ca.ts";
import { startOperator, type OperatorUnderTest } from "./testing/operator-under-test.ts";

const kubeconfig = inject("kubeconfig");
let admin: RestClient;
let caB: CertificateAuthority, caC: CertificateAuthority;
const running: OperatorUnderTest[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  caB = await createCertificateAuthority({ commonName: "B federation CA", validityDays: 365 });
  caC = await createCertificateAuthority({ commonName: "C federation CA", validityDays: 365 });
});
afterEach(async () => {
  for (const operator of running.splice(0)) await operator.stop();
});

async function namespace(): Promise<string> {
  const name = `tb-${randomBytes(4).toString("hex")}`;
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
  running.push(await startOperator(kubeconfig, [name]));
  return name;
}

const create = (kind: KindName, ns: string, object: object) => admin.request("POST", resourcePath(RESOURCES[kind], ns), { body: object });
const get = (kind: KindName, ns: string, name: string): Promise<KubeObject | undefined> => getObject(admin, RESOURCES[kind], ns, name);
const fc = configManifest;
const fp = peerManifest;
type Condition = { type: string; status: string; reason: string; message: string };
const condition = (object: KubeObject | undefined, type: string) => ((object?.["status"] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
const bundleSubjects = async (ns: string) => {
  const data = ((await get("Secret", ns, "wire-ca-bundle"))?.["data"] ?? {}) as Record<string, string>;
  const parsed = parseCertificateBundle(Buffer.from(data["ca.crt"] ?? "", "base64").toString());
  return parsed.ok ? parsed.certificates.map((c) => c.subject).sort() : [];
};
const events = async (ns: string, name: string) =>
  ((await admin.request("GET", resourcePath(RESOURCES.Event, ns), { query: { fieldSelector: `involvedObject.name=${name}` } })).body as { items: { reason: string; type: string; message: string }[] }).items;

describe("the operator's outputs", () => {
  it("do not adopt, change or garbage-collect a user's Secret that has an output's name", async () => {
    const ns = await namespace();
    const mine = { apiVersion: "v1", kind: "Secret", metadata: { name: "wire-tls", labels: { team: "web" } }, type: "Opaque", stringData: { note: "my own certificate" } };
    await create("Secret", ns, mine);
    const before = (await get("Secret", ns, "wire-tls"))!;
    await create("FederationConfig", ns, fc());
    const ready = await waitFor(async () => {
      const c = condition(await get("FederationConfig", ns, "wire"), "Ready");
      return c?.reason === "OutputNotOurs" ? c : undefined;
    }, { description: "Ready=False OutputNotOurs", timeoutMs: 60_000 });
    expect(ready.message).toMatch(/^Secret\/wire-tls already exists and is not FederationConfig wire's/);
    const event = await waitFor(async () => (await events(ns, "wire")).find((e) => e.reason === "OutputNotOurs"), { description: "an OutputNotOurs Event" });
    expect(event.type).toBe("Warning");
    const after = (await get("Secret", ns, "wire-tls"))!;
    expect(after.metadata.ownerReferences).toBeUndefined();
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    // Nothing of ours would serve or mount it.
    expect(await get("Deployment", ns, "wire-federator")).toBeUndefined();
    expect(await get("Ingress", ns, "wire-federator")).toBeUndefined();
    await get("Secret", ns, "wire-ca-bundle").then((b) => expect(b).toBeDefined());

    await admin.request("DELETE", resourcePath(RESOURCES.FederationConfig, ns, "wire"));
    await waitFor(async () => (await get("Secret", ns, "wire-ca-bundle")) === undefined, { description: "our outputs garbage-collected", timeoutMs: 60_000 });
    expect((await get("Secret", ns, "wire-tls"))?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it("do not take over the federator Service that wire-server's chart made", async () => {
    const ns = await namespace();
    // As wire-server's charts/federator/templates/service.yaml makes it.
    const service = { apiVersion: "v1", kind: "Service", metadata: { name: "federator", labels: { app: "federator" } }, spec: { selector: { app: "federator" }, ports: [{ name: "internal", port: 8080 }, { name: "federator-ext", port: 8081 }] } };
    await create("Service", ns, service);
    const before = (await get("Service", ns, "federator"))!;
    await create("FederationConfig", ns, fc());
    const serviceReady = await waitFor(async () => {
      const c = condition(await get("FederationConfig", ns, "wire"), "ServiceReady");
      return c?.reason === "OutputNotOurs" ? c : undefined;
    }, { description: "ServiceReady=False OutputNotOurs", timeoutMs: 60_000 });
    expect(serviceReady.message).toMatch(/^Service\/federator already exists/);
    const after = (await get("Service", ns, "federator"))!;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.ownerReferences).toBeUndefined();
    expect(await get("Ingress", ns, "wire-federator")).toBeUndefined();
    // What does not depend on it is still written.
    await waitFor(() => get("Deployment", ns, "wire-federator"), { description: "the federator Deployment", timeoutMs: 30_000 });
  });
});

describe("a FederationConfig editor", () => {
  it("cannot roll out an image of their choice: the Deployment stays as it is", async () => {
    const ns = await namespace();
    await create("FederationConfig", ns, fc());
    const before = await waitFor(() => get("Deployment", ns, "wire-federator"), { description: "the federator Deployment", timeoutMs: 60_000 });
    await admin.request("PATCH", resourcePath(RESOURCES.FederationConfig, ns, "wire"), { body: { spec: { federator: { image: "registry.evil.example/federator:latest" } } }, contentType: "application/merge-patch+json" });
    const refused = await waitFor(async () => {
      const c = condition(await get("FederationConfig", ns, "wire"), "SpecAllowed");
      return c?.status === "False" ? c : undefined;
    }, { description: "SpecAllowed=False", timeoutMs: 60_000 });
    expect(refused).toMatchObject({ reason: "ImageNotAllowed", message: expect.stringMatching(/^spec\.federator\.image registry\.evil\.example\/federator:latest is not an image this operator runs/) });
    const after = (await get("Deployment", ns, "wire-federator"))!;
    // The controller manager writes the Deployment's status; its spec is what must not change.
    expect(after.metadata["generation"]).toBe(before.metadata["generation"]);
    expect(JSON.stringify(after["spec"])).toBe(JSON.stringify(before["spec"]));
    expect(JSON.stringify(after["spec"])).not.toContain("registry.evil.example");
  });
});

describe("one FederationPeer's caBundle", () => {
  it("cannot freeze the CA bundle for all: six peers of ~235 KB inline PEM are left out, the others follow, statuses are written", async () => {
    const ns = await namespace();
    await create("FederationConfig", ns, fc());
    await create("FederationPeer", ns, fp("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } }));
    await waitFor(async () => (await bundleSubjects(ns)).includes("CN=B federation CA"), { description: "b's CA in the bundle", timeoutMs: 60_000 });
    const huge = await Promise.all(Array.from({ length: 6 }, (_, i) => bigCAs(`Huge ${i}`, 10, 21_000)));
    expect(huge.every((pem) => pem.length > 200_000 && pem.length < 256 * 1024)).toBe(true);
    // POSTed, not kubectl-applied: kubectl's last-applied annotation cannot hold 235 KB.
    for (const [i, pem] of huge.entries()) await create("FederationPeer", ns, fp(`huge-${i}`, { domain: `huge-${i}.example`, caBundle: { pem } }));
    // Then b is suspended and c arrives: the bundle must follow both.
    await admin.request("PATCH", resourcePath(RESOURCES.FederationPeer, ns, "b"), { body: { spec: { suspend: true } }, contentType: "application/merge-patch+json" });
    await create("FederationPeer", ns, fp("c", { domain: "c.example", caBundle: { pem: caC.certificatePem } }));
    await waitFor(async () => JSON.stringify(await bundleSubjects(ns)) === JSON.stringify(["CN=C federation CA"]), { description: "the bundle holds only c's CA", timeoutMs: 90_000 });
    for (let i = 0; i < 6; i++) {
      const accepted = await waitFor(async () => condition(await get("FederationPeer", ns, `huge-${i}`), "Accepted"), { description: `huge-${i} has a status`, timeoutMs: 60_000 });
      expect(accepted).toMatchObject({ status: "False", reason: "TooManyCAs" });
    }
    const bundleReady = await waitFor(async () => condition(await get("FederationConfig", ns, "wire"), "CABundleReady"), { description: "CABundleReady", timeoutMs: 30_000 });
    expect(bundleReady).toMatchObject({ status: "False", message: expect.stringMatching(/FederationPeer huge-0 \(TooManyCAs\)/) });
  });
});

describe("statuses", () => {
  it("are written even when an output fails to apply", async () => {
    const ns = await namespace();
    await create("FederationConfig", ns, fc());
    await waitFor(() => get("Secret", ns, "wire-ca-bundle"), { description: "the CA bundle Secret", timeoutMs: 60_000 });
    // An immutable bundle: every apply that changes it is refused, as a bundle over the size limit is.
    await admin.request("PATCH", resourcePath(RESOURCES.Secret, ns, "wire-ca-bundle"), { body: { immutable: true }, contentType: "application/merge-patch+json" });
    await create("FederationPeer", ns, fp("b", { domain: "b.example", caBundle: { pem: caB.certificatePem } }));
    await waitFor(async () => condition(await get("FederationPeer", ns, "b"), "Accepted")?.status === "True", { description: "peer b's status written", timeoutMs: 60_000 });
    const ready = await waitFor(async () => {
      const c = condition(await get("FederationConfig", ns, "wire"), "Ready");
      return c?.message.includes("Secret/wire-ca-bundle could not be applied") ? c : undefined;
    }, { description: "Ready names the CA bundle Secret", timeoutMs: 60_000 });
    expect(ready).toMatchObject({ status: "False", reason: "OutputNotApplied" });
    await waitFor(async () => (await get("FederationConfig", ns, "wire"))?.["status"] !== undefined && ((await get("FederationConfig", ns, "wire"))!["status"] as { peers?: { accepted: number } }).peers?.accepted === 1, { description: "the config counts the peer", timeoutMs: 30_000 });
  });
});
