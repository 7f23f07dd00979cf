// The ingress → federator hop (listen.ingressHop). Behind an ingress controller the federator
// takes the remote's certificate from a header; the attack is anything else in the cluster that
// reaches the external port and writes that header itself, naming a peer's public certificate.
// With the hop, the port speaks TLS and accepts only the client certificate the operator issues to
// the controller; without it (wire-server's chart layout) the forged header is believed, which is
// why the operator always sets it.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CertificateAuthority, IssuedCertificate } from "../lib/certs/issue.ts";
import { issueCertificate } from "../lib/certs/issue.ts";
import { waitUntil, type Backend, type HopMaterial } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape, testCa } from "./testing/pki.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

const HOP_NAME = "federator.wire.svc";
let world: World;
let hop: HopMaterial & { client: IssuedCertificate };
/** Behind a controller, with the hop. */
let n: Backend;
/** Behind a controller, without the hop: the layout of wire-server's chart. */
let open: Backend;
/** A's genuine public certificate: anyone can have it, it is what A presents to everyone. */
let aCertificatePem: string;

async function hopMaterial(name: string): Promise<HopMaterial & { client: IssuedCertificate }> {
  const ca = await testCa(`${name} ingress hop CA`);
  const server = await issueCertificate({ ca, dnsNames: [HOP_NAME], serverAuth: true, clientAuth: false, validityDays: 1 });
  const client = await issueCertificate({ ca, dnsNames: [], commonName: "wire-federation-ingress", serverAuth: false, clientAuth: true, validityDays: 1 });
  return { ca, server, client };
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** What an ingress controller sends: POST /federation/brig/… with the certificate header, over HTTP/1.1. */
function forwarded(backend: Backend, options: { tls?: { cert?: IssuedCertificate; trust: CertificateAuthority } }): Promise<Answer> {
  const headers = { "wire-origin-domain": "a.example", "ssl-client-cert": nginxEscape(aCertificatePem), "content-type": "application/json" };
  return new Promise((resolve, reject) => {
    const common = { host: backend.ip, port: backend.externalPort, method: "POST", path: "/federation/brig/get-user", headers, agent: false } as const;
    const tls = options.tls;
    const request =
      tls === undefined
        ? httpRequest(common)
        : httpsRequest({ ...common, servername: HOP_NAME, ca: tls.trust.certificatePem, ...(tls.cert === undefined ? {} : { cert: tls.cert.certificatePem, key: tls.cert.privateKeyPem }) });
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end('{"id":1}');
  });
}

beforeAll(async () => {
  world = await startWorld({ bRemotes: ["a.example"] });
  aCertificatePem = (await federatorCertificate(world.ca, "federator.a.example")).certificatePem;
  hop = await hopMaterial("n");
  n = await world.addBackend("n", "127.0.0.5", { config: baseConfig("n", world.dns.address, ["a.example"]), hop });
  open = await world.addBackend("open", "127.0.0.6", { config: { ...baseConfig("open", world.dns.address, ["a.example"]), listen: { externalTLS: false } } });
});
afterAll(async () => {
  await world?.close();
});

describe("without the hop (wire-server's chart layout)", () => {
  it("believes a certificate header that a pod reaching the external port wrote itself: the attack", async () => {
    const answer = await forwarded(open, {});
    expect(answer.status).toBe(200);
    expect(open.components.brig.requests.at(-1)?.headers["wire-origin-domain"]).toBe("a.example");
  });
});

describe("with the hop", () => {
  it("refuses a pod that reaches the external port over plain HTTP with a forged header; brig sees nothing", async () => {
    const before = n.components.brig.requests.length;
    await expect(forwarded(n, {})).rejects.toThrow();
    expect(n.components.brig.requests.length).toBe(before);
  });

  it("refuses a TLS client without a certificate, and one holding a valid federation certificate", async () => {
    const before = n.components.brig.requests.length;
    await expect(forwarded(n, { tls: { trust: hop.ca } })).rejects.toThrow();
    const peerCertificate = await federatorCertificate(world.ca, "federator.a.example");
    await expect(forwarded(n, { tls: { cert: peerCertificate, trust: hop.ca } })).rejects.toThrow();
    // The hop CA's own server certificate is not a client certificate (serverAuth only).
    await expect(forwarded(n, { tls: { cert: hop.server, trust: hop.ca } })).rejects.toThrow();
    expect(n.components.brig.requests.length).toBe(before);
  });

  it("believes the header from the controller's certificate, and names the hop refusal in a metric", async () => {
    const answer = await forwarded(n, { tls: { cert: hop.client, trust: hop.ca } });
    expect(answer.status).toBe(200);
    expect(n.components.brig.requests.at(-1)?.headers["wire-origin-domain"]).toBe("a.example");
    const metrics = (await n.federator.metrics.registry.getSingleMetric("federator_tls_errors_total")?.get())?.values ?? [];
    expect(metrics.find((m) => m.labels["direction"] === "ingress-hop")?.value ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("takes a new hop CA and certificate without a restart: the old controller certificate stops, the new one works", async () => {
    const next = await hopMaterial("n-renewed");
    n.writeHop(next);
    await waitUntil(async () => (await forwarded(n, { tls: { cert: next.client, trust: next.ca } }).catch(() => undefined))?.status === 200, "the renewed hop certificate is served");
    await expect(forwarded(n, { tls: { cert: hop.client, trust: next.ca } })).rejects.toThrow();
  });
});
