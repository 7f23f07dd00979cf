// The operator's IngressNginx output served by a real Traefik v3.7 through its ingress-nginx
// provider, against the test API server: mutual TLS against the CA bundle, the verified leaf in
// ssl-client-cert overwriting whatever the client sent, an untrusted CA refused at TLS, and a CA
// bundle change enforced without a restart. The backend is a header-recording server on 127.0.0.1,
// reached through an ExternalName Service.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/certs/issue.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { desired } from "../../operator/desired/desired.ts";
import { EMPTY_REFERENCED } from "../../operator/desired/referenced.ts";
import { config, peer } from "../../operator/testing/fixtures.ts";
import { freePorts } from "../controlplane/ports.ts";
import { kubectl } from "../support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";
import { startTraefik, type TraefikProcess } from "./traefik.ts";

const kubeconfig = inject("kubeconfig");
let ns: TestNamespace;
let traefik: TraefikProcess;
let upstream: http.Server;
let port: number;
const seen: http.IncomingHttpHeaders[] = [];
let serverCa: CertificateAuthority, peerCa: CertificateAuthority, otherPeerCa: CertificateAuthority;
let trusted: IssuedCertificate, untrusted: IssuedCertificate, serving: IssuedCertificate;

async function apply(objects: readonly KubeObject[]): Promise<void> {
  const result = await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=test", "-f", "-"], { kubeconfig, stdin: objects.map((o) => JSON.stringify(o)).join("\n") });
  if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr}`);
}

/** The operator's objects for a FederationConfig in `ns` trusting `cas`; Secrets, Ingress only. */
function operatorObjects(cas: readonly CertificateAuthority[]): KubeObject[] {
  const state = desired({
    config: config({}, "wire", ns.name),
    peers: cas.map((ca, i) => peer(`p${i}`, { domain: `p${i}.example`, caBundle: { pem: ca.certificatePem } })),
    referenced: EMPTY_REFERENCED,
    certificate: { ready: { type: "CertificateReady", status: "True", reason: "Valid", message: "" }, secrets: [{ name: "wire-tls", type: "kubernetes.io/tls", data: { "tls.crt": serving.chainPem, "tls.key": serving.privateKeyPem } }] },
    rollout: undefined,
    now: new Date(),
    expiryWarningDays: 30,
  });
  return state.objects.filter((o) => o.kind === "Ingress" || (o.kind === "Secret" && ["wire-tls", "wire-ca-bundle"].includes(o.metadata.name))).map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: [] } }));
}

function call(client: IssuedCertificate | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: "127.0.0.1", port, path: "/federation/brig/get-user", method: "POST", agent: false, headers: { host: "federator.a.example", ...headers }, servername: "federator.a.example", ca: serverCa.certificatePem, ...(client ? { cert: client.chainPem, key: client.privateKeyPem } : {}) },
      (response) => {
        let body = "";
        response.on("data", (c: Buffer) => (body += c.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end("{}");
  });
}
const refusedAtTls = (client: IssuedCertificate) => call(client).then((r) => (r.status === 200 ? undefined : r.status), () => "tls-refused" as const);

beforeAll(async () => {
  [serverCa, peerCa, otherPeerCa] = await Promise.all(["Server CA", "Peer CA", "Other peer CA"].map((commonName) => createCertificateAuthority({ commonName, validityDays: 30 }))) as [CertificateAuthority, CertificateAuthority, CertificateAuthority];
  serving = await issueCertificate({ ca: serverCa, dnsNames: ["federator.a.example"], validityDays: 30 });
  trusted = await issueCertificate({ ca: peerCa, dnsNames: ["federator.p0.example"], validityDays: 30 });
  untrusted = await issueCertificate({ ca: otherPeerCa, dnsNames: ["federator.p1.example"], validityDays: 30 });
  upstream = http.createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on("end", () => response.end("upstream"));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  ns = await createTestNamespace(kubeconfig, "traefik-nginx");
  const ingressClass = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } };
  // ExternalName "localhost": the API server refuses loopback IPs in an IPv4 EndpointSlice, and an
  // FQDN EndpointSlice needs a dotted name, which nothing here resolves to 127.0.0.1.
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "federator", namespace: ns.name },
    spec: { type: "ExternalName", externalName: "localhost", ports: [{ name: "federator-ext", port: 8081, targetPort: upstreamPort, protocol: "TCP" }] },
  };
  await apply([ingressClass, service, ...operatorObjects([peerCa])]);
  [port] = (await freePorts(1)) as [number];
  traefik = startTraefik({ kubeconfig, listen: `127.0.0.1:${port}`, args: ["--providers.kubernetesingressnginx=true", `--providers.kubernetesingressnginx.watchnamespace=${ns.name}`] });
  await waitFor(async () => (await call(trusted).catch(() => undefined))?.status === 200, { description: "Traefik serving the Ingress", timeoutMs: 60_000, intervalMs: 200 }).catch((error: unknown) => {
    throw new Error(`${String(error)}; Traefik said:\n${traefik.output().split("\n").filter((l) => /ERR|WRN|error|ingress/i.test(l)).slice(-15).join("\n")}`);
  });
});

afterAll(async () => {
  await traefik?.stop();
  upstream?.close();
  await ns?.delete();
});

describe("the operator's IngressNginx output on Traefik v3.7's ingress-nginx provider", () => {
  it("carries a request and passes the verified leaf as ssl-client-cert", async () => {
    expect((await call(trusted)).status).toBe(200);
    expect(decodeURIComponent(seen.at(-1)?.["ssl-client-cert"] as string).trim()).toBe(trusted.certificatePem.trim());
  });

  it("overwrites a forged ssl-client-cert from a client holding another valid certificate", async () => {
    const forged = encodeURIComponent(untrusted.certificatePem);
    expect((await call(trusted, { "ssl-client-cert": forged })).status).toBe(200);
    expect(decodeURIComponent(seen.at(-1)?.["ssl-client-cert"] as string).trim()).toBe(trusted.certificatePem.trim());
  });

  it("refuses a client certificate from a CA outside the bundle, and a client without one, at TLS", async () => {
    const before = seen.length;
    expect(await refusedAtTls(untrusted)).toBeDefined();
    expect(await call(undefined).then((r) => r.status, () => "tls-refused")).not.toBe(200);
    expect(seen.length).toBe(before);
  });

  it("enforces a CA bundle change without a restart", async () => {
    await apply(operatorObjects([otherPeerCa]));
    await waitFor(async () => (await call(untrusted).catch(() => undefined))?.status === 200, { description: "the new CA trusted", timeoutMs: 30_000, intervalMs: 200 });
    expect(await refusedAtTls(trusted)).toBeDefined();
  });
});
