// The operator against the real kube-apiserver + etcd + kube-controller-manager of the shared
// test control plane: what a person running `kubectl apply` sees.
import { configManifest, peerManifest } from "./testing/fixtures.ts";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { FederatorConfig } from "../lib/api/federator-config.ts";
import { createCertificateAuthority, type CertificateAuthority } from "../lib/certs/issue.ts";
import { parseCertificateBundle } from "../lib/certs/pem.ts";
import { kubectl } from "../e2e/support/kubectl.ts";
import { waitFor } from "../e2e/support/wait-for.ts";
import { stableJson } from "../lib/kube/apply.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { getObject } from "../lib/kube/get-object.ts";
import { RESOURCES, resourcePath, type KindName } from "./kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../lib/kube/rest.ts";
import { startOperator, type OperatorUnderTest } from "./testing/operator-under-test.ts";

const kubeconfig = inject("kubeconfig");
let admin: RestClient;
let cas: Record<"b" | "c" | "d" | "e", CertificateAuthority>;
const running: OperatorUnderTest[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  const [b, c, d, e] = await Promise.all(["B", "C", "D", "E"].map((n) => createCertificateAuthority({ commonName: `${n} federation CA`, validityDays: 365 })));
  cas = { b: b!, c: c!, d: d!, e: e! };
});
afterEach(() => {
  for (const operator of running.splice(0)) operator.stop();
});
afterAll(() => undefined);

async function namespace(): Promise<string> {
  const name = `op-${randomBytes(4).toString("hex")}`;
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
  return name;
}

async function operatorFor(ns: string): Promise<OperatorUnderTest> {
  const operator = await startOperator(kubeconfig, [ns]);
  running.push(operator);
  return operator;
}

const apply = async (ns: string, ...objects: object[]) => {
  const result = await kubectl(["apply", "-n", ns, "-f", "-"], { kubeconfig, stdin: objects.map((o) => stringify(o)).join("---\n") });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result;
};

const get = (kind: KindName, ns: string, name: string): Promise<KubeObject | undefined> => getObject(admin, RESOURCES[kind], ns, name);

const fc = configManifest;
const fp = peerManifest;
const secretText = (object: KubeObject | undefined, key: string) => Buffer.from(((object?.["data"] ?? {}) as Record<string, string>)[key] ?? "", "base64").toString();
const bundleSubjects = async (ns: string) => {
  const parsed = parseCertificateBundle(secretText(await get("Secret", ns, "wire-ca-bundle"), "ca.crt"));
  return parsed.ok ? parsed.certificates.map((c) => c.subject).sort() : [];
};
const remotes = async (ns: string) => {
  const cm = await get("ConfigMap", ns, "wire-federator");
  const text = ((cm?.["data"] ?? {}) as Record<string, string>)["federator.yaml"];
  return text === undefined ? undefined : FederatorConfig.parse(parse(text)).remotes.map((r) => r.domain);
};
const condition = (object: KubeObject | undefined, type: string) =>
  ((object?.["status"] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
const podTemplate = async (ns: string) => stableJson(((await get("Deployment", ns, "wire-federator"))?.["spec"] as { template?: unknown } | undefined)?.template);

describe("operator", () => {
  it("turns a FederationConfig and three peers into the Ingress, Secrets, ConfigMap and federator workload", async () => {
    const ns = await namespace();
    await operatorFor(ns);
    await apply(
      ns,
      fc(),
      fp("b", { domain: "b.example", searchPolicy: "full_search", caBundle: { pem: cas.b.certificatePem } }),
      fp("c", { domain: "c.example", caBundle: { pem: cas.c.certificatePem } }),
      fp("d", { domain: "d.example", infraDomain: "fed.d.example", caBundle: { pem: cas.d.certificatePem } }),
    );
    await waitFor(async () => (await remotes(ns))?.length === 3, { description: "three remotes in federator.yaml", timeoutMs: 20_000 });
    expect(await remotes(ns)).toEqual(["b.example", "c.example", "d.example"]);
    expect(await bundleSubjects(ns)).toEqual(["CN=B federation CA", "CN=C federation CA", "CN=D federation CA"]);

    const ingress = await waitFor(() => get("Ingress", ns, "wire-federator"), { description: "the Federation Ingress" });
    expect(ingress.metadata.annotations).toMatchObject({
      "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
      "nginx.ingress.kubernetes.io/auth-tls-secret": `${ns}/wire-ca-bundle`,
      "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "2",
      "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream": "true",
      "nginx.ingress.kubernetes.io/proxy-body-size": String(100 * 1024 * 1024),
    });
    expect(ingress.metadata.annotations?.["nginx.ingress.kubernetes.io/configuration-snippet"]).toBeUndefined();
    expect((ingress["spec"] as { tls: unknown }).tls).toEqual([{ hosts: ["federator.a.example"], secretName: "wire-tls" }]);
    const tls = await waitFor(() => get("Secret", ns, "wire-tls"), { description: "the own certificate Secret" });
    expect(tls["type"]).toBe("kubernetes.io/tls");
    for (const [kind, name] of [["Deployment", "wire-federator"], ["Service", "federator"], ["NetworkPolicy", "wire-federator"], ["ConfigMap", "wire-ca-public"]] as const) {
      expect(await get(kind, ns, name), `${kind}/${name}`).toBeDefined();
    }
    const owner = (await get("Deployment", ns, "wire-federator"))!.metadata.ownerReferences?.[0];
    expect(owner).toMatchObject({ kind: "FederationConfig", name: "wire", controller: true });

    await waitFor(async () => condition(await get("FederationPeer", ns, "d"), "Accepted")?.status === "True", { description: "peer d Accepted" });
    const table = await kubectl(["get", "fp", "-n", ns], { kubeconfig });
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+DOMAIN\s+SEARCH\s+READY\s+CA-EXPIRES\s+BRIG\s+AGE$/);
    expect(table.stdout).toMatch(/\nb\s+b\.example\s+full_search\s+True\s+\d{4}-/);
  });

  it("follows CA changes, suspension, deletion and garbage-collects the outputs with the config", async () => {
    const ns = await namespace();
    await operatorFor(ns);
    await apply(ns, fc(), fp("b", { domain: "b.example", caBundle: { pem: cas.b.certificatePem } }), fp("c", { domain: "c.example", caBundle: { pem: cas.c.certificatePem } }));
    await waitFor(async () => (await bundleSubjects(ns)).length === 2, { description: "two CAs in the bundle", timeoutMs: 20_000 });
    await waitFor(() => get("Deployment", ns, "wire-federator"), { description: "Deployment" });
    const template = await podTemplate(ns);

    await apply(ns, fp("b", { domain: "b.example", caBundle: { pem: cas.e.certificatePem } }));
    await waitFor(async () => (await bundleSubjects(ns)).includes("CN=E federation CA"), { description: "b's new CA in the bundle" });
    expect(await bundleSubjects(ns)).toEqual(["CN=C federation CA", "CN=E federation CA"]);
    expect(await podTemplate(ns)).toBe(template);

    await apply(ns, fp("c", { domain: "c.example", suspend: true, caBundle: { pem: cas.c.certificatePem } }));
    await waitFor(async () => stableJson(await remotes(ns)) === stableJson(["b.example"]), { description: "suspended c leaves federator.yaml" });

    expect((await kubectl(["delete", "fp", "b", "-n", ns], { kubeconfig })).code).toBe(0);
    await waitFor(async () => stableJson(await remotes(ns)) === "[]", { description: "deleted b leaves federator.yaml" });
    expect(await podTemplate(ns)).toBe(template);

    expect((await kubectl(["delete", "fc", "wire", "-n", ns, "--wait=false"], { kubeconfig })).code).toBe(0);
    await waitFor(async () => (await get("Deployment", ns, "wire-federator")) === undefined && (await get("Secret", ns, "wire-ca-bundle")) === undefined, {
      description: "outputs garbage-collected after the FederationConfig is deleted",
      timeoutMs: 30_000,
    });
  });

  it("rejects a peer with invalid PEM, with a condition and an Event, and keeps the others' bundle", async () => {
    const ns = await namespace();
    await operatorFor(ns);
    const garbage = "-----BEGIN CERTIFICATE-----\nTUlJQm9uZV9ub3RfYV9jZXJ0\n-----END CERTIFICATE-----\n";
    await apply(ns, fc(), fp("b", { domain: "b.example", caBundle: { pem: cas.b.certificatePem } }), fp("bad", { domain: "bad.example", caBundle: { pem: garbage } }));
    const bad = await waitFor(async () => {
      const peer = await get("FederationPeer", ns, "bad");
      return condition(peer, "CAValid")?.status === "False" ? peer : undefined;
    }, { description: "bad peer CAValid=False", timeoutMs: 20_000 });
    expect(condition(bad, "CAValid")!.message).toMatch(/certificate 1 cannot be parsed/);
    expect(condition(bad, "Accepted")).toMatchObject({ status: "False", reason: "InvalidPEM" });
    expect(await bundleSubjects(ns)).toEqual(["CN=B federation CA"]);
    expect(await remotes(ns)).toEqual(["b.example"]);
    const events = await waitFor(async () => {
      const list = (await admin.request("GET", resourcePath(RESOURCES.Event, ns), { query: { fieldSelector: "involvedObject.name=bad" } })).body as { items: { reason: string; type: string; message: string }[] };
      return list.items.find((e) => e.reason === "InvalidPEM");
    }, { description: "an InvalidPEM Event on the bad peer" });
    expect(events.type).toBe("Warning");
  });

  it("issues no write at all on a forced resync of 100 converged peers", async () => {
    const ns = await namespace();
    const operator = await operatorFor(ns);
    const peers = Array.from({ length: 100 }, (_, i) => fp(`p${i}`, { domain: `p${i}.example`, caBundle: { pem: [cas.b, cas.c, cas.d, cas.e][i % 4]!.certificatePem } }));
    await apply(ns, fc(), ...peers);
    await waitFor(async () => (await remotes(ns))?.length === 100, { description: "100 remotes", timeoutMs: 60_000 });
    await waitFor(async () => {
      const list = (await admin.request("GET", resourcePath(RESOURCES.FederationPeer, ns))).body as { items: KubeObject[] };
      return list.items.every((p) => condition(p, "Accepted")?.status === "True");
    }, { description: "all 100 peers Accepted", timeoutMs: 60_000 });
    await operator.controller.idle();
    const before = operator.client.writes.count;
    const versions = stableJson((((await admin.request("GET", resourcePath(RESOURCES.Secret, ns))).body as { items: KubeObject[] }).items).map((o) => o.metadata["resourceVersion"]));
    operator.controller.resyncAll();
    await operator.controller.idle();
    operator.controller.resyncAll();
    await operator.controller.idle();
    expect(operator.client.writes.count - before).toBe(0);
    expect(stableJson((((await admin.request("GET", resourcePath(RESOURCES.Secret, ns))).body as { items: KubeObject[] }).items).map((o) => o.metadata["resourceVersion"]))).toBe(versions);

    // A restarted operator (no memory of its writes) finds everything in place too.
    await operator.stop();
    const restarted = await operatorFor(ns);
    await restarted.controller.idle();
    expect(restarted.client.writes.count).toBe(0);
  });

  it("puts back outputs someone edited by hand", async () => {
    const ns = await namespace();
    await operatorFor(ns);
    await apply(ns, fc(), fp("b", { domain: "b.example", caBundle: { pem: cas.b.certificatePem } }));
    await waitFor(async () => (await remotes(ns))?.length === 1 && (await get("Ingress", ns, "wire-federator")), { description: "outputs", timeoutMs: 20_000 });
    const annotate = await kubectl(["annotate", "ingress", "wire-federator", "-n", ns, "--overwrite", "nginx.ingress.kubernetes.io/auth-tls-verify-client=off"], { kubeconfig });
    expect(annotate.code, annotate.stderr).toBe(0);
    const bundle = await kubectl(["patch", "secret", "wire-ca-bundle", "-n", ns, "--type", "merge", "-p", JSON.stringify({ stringData: { "ca.crt": cas.e.certificatePem } })], { kubeconfig });
    expect(bundle.code, bundle.stderr).toBe(0);
    await waitFor(async () => (await get("Ingress", ns, "wire-federator"))?.metadata.annotations?.["nginx.ingress.kubernetes.io/auth-tls-verify-client"] === "on", {
      description: "mutual TLS switched back on",
      timeoutMs: 20_000,
    });
    await waitFor(async () => stableJson(await bundleSubjects(ns)) === stableJson(["CN=B federation CA"]), { description: "the CA bundle restored", timeoutMs: 20_000 });
  });

  // wire-server's charts point brig, galley and cargohold at federator:8080: two configs may not share it.
  it("keeps Service federator with the first FederationConfig of a namespace and tells a second one to pick another name", async () => {
    const ns = await namespace();
    await operatorFor(ns);
    await apply(ns, fc());
    const service = await waitFor(() => get("Service", ns, "federator"), { description: "Service federator", timeoutMs: 20_000 });
    expect(service.metadata.ownerReferences?.[0]).toMatchObject({ name: "wire" });
    const second = { ...fc({ backendDomain: "b.example", infraDomain: "federator.b.example" }), metadata: { name: "second" } };
    await apply(ns, second);
    const conflict = await waitFor(async () => {
      const ready = condition(await get("FederationConfig", ns, "second"), "ServiceReady");
      return ready?.reason === "ServiceNameConflict" ? ready : undefined;
    }, { description: "second reports ServiceNameConflict", timeoutMs: 20_000 });
    expect(conflict.message).toMatch(/^Service federator belongs to FederationConfig wire of this namespace; set spec.federator.serviceName/);
    expect((await get("Service", ns, "federator"))?.metadata.ownerReferences?.[0]).toMatchObject({ name: "wire" });
    expect(await get("Ingress", ns, "second-federator")).toBeUndefined();
    await apply(ns, { ...second, spec: { ...second.spec, federator: { serviceName: "federator-b" } } });
    await waitFor(() => get("Service", ns, "federator-b"), { description: "Service federator-b", timeoutMs: 20_000 });
    await waitFor(async () => condition(await get("FederationConfig", ns, "second"), "ServiceReady")?.status === "True", { description: "second ServiceReady", timeoutMs: 20_000 });
  });

  it("never logs private keys or Secret data", async () => {
    const ns = await namespace();
    const operator = await operatorFor(ns);
    await apply(ns, fc(), fp("b", { domain: "b.example", caBundle: { pem: cas.b.certificatePem } }));
    const tls = await waitFor(() => get("Secret", ns, "wire-tls"), { description: "own certificate", timeoutMs: 20_000 });
    await operator.controller.idle();
    const logs = operator.logs.join("");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(/PRIVATE KEY/);
    const key = ((tls["data"] ?? {}) as Record<string, string>)["tls.key"]!;
    expect(logs).not.toContain(key.slice(0, 40));
    expect(logs).not.toContain(secretText(tls, "tls.key").split("\n")[1]!);
  });
});
