// The Federation Ingress the operator produces, served by Debian's nginx configured as
// ingress-nginx would (no snippets): mutual TLS against the CA bundle and the verified client
// certificate forwarded as ssl-client-cert, overwriting whatever the client sent; the upstream (in
// the federator's place) serves the ingress hop's TLS, so nginx must present the operator's client
// certificate (proxy-ssl-secret) to reach it.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate, type IssuedCertificate } from "../../lib/certs/issue.ts";
import { desired } from "../../operator/desired/desired.ts";
import { EMPTY_REFERENCED } from "../../operator/desired/referenced.ts";
import { config, peer } from "../../operator/testing/fixtures.ts";
import { freePorts } from "../controlplane/ports.ts";
import { startNginx, type NginxProcess } from "./nginx.ts";
import { hopSecrets, hopServerOptions } from "../support/ingress-hop.ts";

let nginx: NginxProcess;
let upstream: https.Server;
const seen: http.IncomingHttpHeaders[] = [];
let trustedClient: IssuedCertificate, untrustedClient: IssuedCertificate, serverCaPem: string;
let port: number;

beforeAll(async () => {
  const [serverCa, peerCa, strangerCa] = await Promise.all(["Server CA", "Peer CA", "Stranger CA"].map((commonName) => createCertificateAuthority({ commonName, validityDays: 30 })));
  serverCaPem = serverCa!.certificatePem;
  const serving = await issueCertificate({ ca: serverCa!, dnsNames: ["federator.a.example"], validityDays: 30 });
  trustedClient = await issueCertificate({ ca: peerCa!, dnsNames: ["federator.b.example"], validityDays: 30 });
  untrustedClient = await issueCertificate({ ca: strangerCa!, dnsNames: ["federator.b.example"], validityDays: 30 });

  const hop = await hopSecrets("wire");
  upstream = https.createServer(hopServerOptions(hop), (request, response) => {
    seen.push(request.headers);
    response.end(`upstream saw ${request.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;

  const state = desired({
    config: config(),
    peers: [peer("b", { domain: "b.example", caBundle: { pem: peerCa!.certificatePem } })],
    referenced: EMPTY_REFERENCED,
    certificate: { ready: { type: "CertificateReady", status: "True", reason: "Valid", message: "" }, secrets: [{ name: "wire-tls", type: "kubernetes.io/tls", data: { "tls.crt": serving.chainPem, "tls.key": serving.privateKeyPem } }, ...hop] },
    rollout: undefined,
    now: new Date(),
    expiryWarningDays: 30,
  });
  const secrets = new Map(
    state.objects
      .filter((o) => o.kind === "Secret")
      .map((o) => [`wire/${o.metadata.name}`, Object.fromEntries(Object.entries(o["data"] as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]))]),
  );
  [port] = (await freePorts(1)) as [number];
  nginx = await startNginx({
    ingress: state.objects.find((o) => o.kind === "Ingress")!,
    secret: (name) => secrets.get(name),
    upstream: () => `127.0.0.1:${upstreamPort}`,
    listen: `127.0.0.1:${port}`,
  });
});

afterAll(async () => {
  await nginx?.stop();
  upstream?.close();
});

function call(client: IssuedCertificate | undefined, path = "/federation/get-user", headers: Record<string, string> = {}, body = "{}"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: "127.0.0.1", port, path, method: "POST", headers, servername: "federator.a.example", ca: serverCaPem, ...(client ? { cert: client.chainPem, key: client.privateKeyPem } : {}) },
      (response) => {
        let body = "";
        response.on("data", (c: Buffer) => (body += c.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

describe("Federation Ingress on nginx", () => {
  it("forwards a request with a trusted client certificate, and the certificate as ssl-client-cert", async () => {
    const response = await call(trustedClient);
    expect(response).toEqual({ status: 200, body: "upstream saw /federation/get-user" });
    const header = seen.at(-1)?.["ssl-client-cert"];
    expect(typeof header).toBe("string");
    expect(decodeURIComponent(header as string)).toBe(trustedClient.certificatePem.trim() + "\n");
  });

  it("overwrites a certificate header the client sends, and passes an X-SSL-Certificate on untouched (so the federator must never read it)", async () => {
    const forged = encodeURIComponent(untrustedClient.certificatePem);
    expect((await call(trustedClient, "/federation/get-user", { "ssl-client-cert": forged, "x-ssl-certificate": forged })).status).toBe(200);
    expect(decodeURIComponent(seen.at(-1)?.["ssl-client-cert"] as string)).toBe(trustedClient.certificatePem.trim() + "\n");
    expect(seen.at(-1)?.["x-ssl-certificate"]).toBe(forged);
  });

  it("lets bodies up to the federator's limit through (ingress-nginx alone stops at 1 MiB)", async () => {
    const body = "x".repeat(2 * 1024 * 1024);
    expect((await call(trustedClient, "/federation/get-user", { "content-type": "application/octet-stream" }, body)).status).toBe(200);
  });

  it("refuses a client without a certificate", async () => {
    const before = seen.length;
    expect((await call(undefined)).status).toBe(400);
    expect(seen.length).toBe(before);
  });

  it("refuses a client certificate from a CA that is not in the bundle", async () => {
    const before = seen.length;
    expect((await call(untrustedClient)).status).toBe(400);
    expect(seen.length).toBe(before);
  });

  it("serves only /federation", async () => {
    expect((await call(trustedClient, "/i/status")).status).toBe(404);
  });
});
