// Attacks on the federator's own TLS (issue 15, findings 12 and 11): in Passthrough mode the
// external port terminates mutual TLS, so what OpenSSL accepts there is our policy. Before the
// fix it negotiated TLS 1.2 CBC/SHA-1 suites, let a client renegotiate, and (behind nginx)
// accepted an expired leaf in the certificate header.
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, type IssuedCertificate } from "../lib/certs/issue.ts";
import { http1, json, type Backend } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape } from "./testing/pki.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

const DAY_MS = 24 * 3600 * 1000;
let world: World;
let n: Backend;
let bCertificate: IssuedCertificate;

beforeAll(async () => {
  world = await startWorld();
  n = await world.addBackend("n", "127.0.0.10", { config: { ...baseConfig("n", world.dns.address, ["a.example"]), listen: { externalTLS: false } } });
  bCertificate = await federatorCertificate(world.ca, "federator.b.example");
});
afterAll(async () => {
  await world?.close();
});

/** A TLS 1.2 connection to A's external port as B; resolves with the socket once the handshake is done, or the error. */
function tls12(options: { ciphers?: string } = {}): Promise<{ ok: true; socket: TLSSocket } | { ok: false; error: Error }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: world.a.ip,
      port: world.a.externalPort,
      servername: "federator.a.example",
      ca: world.ca.certificatePem,
      cert: bCertificate.chainPem,
      key: bCertificate.privateKeyPem,
      maxVersion: "TLSv1.2",
      ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
    });
    socket.once("secureConnect", () => resolve({ ok: true, socket }));
    socket.once("error", (error) => resolve({ ok: false, error }));
  });
}

describe("Passthrough TLS policy", () => {
  it("refuses a client that offers only TLS 1.2 CBC/SHA-1 suites", async () => {
    const result = await tls12({ ciphers: "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA" });
    if (result.ok) result.socket.destroy();
    expect(result.ok).toBe(false);
  });

  it("still accepts TLS 1.2 with an AEAD suite (the baseline the refusal differs from)", async () => {
    const result = await tls12({ ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" });
    expect(result.ok).toBe(true);
    if (result.ok) result.socket.destroy();
  });

  it("refuses client-initiated renegotiation", async () => {
    const result = await tls12();
    if (!result.ok) throw result.error;
    const socket = result.socket;
    socket.on("error", () => undefined);
    const renegotiated = await new Promise<Error | null>((resolve) => {
      socket.once("close", () => resolve(new Error("closed")));
      socket.renegotiate({}, (error) => resolve(error ?? null));
    });
    socket.destroy();
    expect(renegotiated).not.toBeNull();
  });
});

describe("behind nginx: the certificate header", () => {
  it("refuses an expired leaf in the ssl-client-cert header with 403", async () => {
    const expired = await issueCertificate({ ca: world.ca, dnsNames: ["federator.a.example"], validityDays: 1, notBefore: new Date(Date.now() - 3 * DAY_MS) });
    const before = n.components.brig.requests.length;
    const result = await http1(`http://${n.ip}:${n.externalPort}/federation/brig/get-user`, {
      headers: { "content-type": "application/json", "wire-origin-domain": "a.example", "ssl-client-cert": nginxEscape(expired.certificatePem) },
      body: "{}",
    });
    expect(result.status).toBe(403);
    expect(json(result)["label"]).toBe("authentication-failure");
    expect(n.components.brig.requests.length).toBe(before);
  });
});
