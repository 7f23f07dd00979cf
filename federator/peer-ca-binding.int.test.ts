// Attack (issue 15, finding 2): a peer's private CA impersonates other backends. C is an accepted
// peer whose FederationPeer carries C's own CA. Before the fix, C's CA authenticated every peer
// without a caBundle (here a.example, trusted through the shared CA) and, under AllowAll, any domain
// at all: C issued itself a certificate for federator.a.example and B's brig answered it as A.
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, type CertificateAuthority } from "../lib/certs/issue.ts";
import { compactFingerprint } from "../lib/certs/pem.ts";
import { http1, ingressCall, json, srvRecord, type Backend, type HttpResult } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape } from "./testing/pki.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

let world: World;
let cCA: CertificateAuthority;
/** Passthrough (terminates mutual TLS) and header mode (behind an ingress that sets ssl-client-cert). */
let passthrough: Backend;
let behindIngress: Backend;

function bConfig(name: string, strategy: "AllowList" | "AllowAll") {
  const base = baseConfig(name, world.dns.address, []);
  return {
    ...base,
    strategy,
    caFingerprints: [compactFingerprint(new X509Certificate(cCA.certificatePem))],
    remotes: [
      { domain: "a.example", infraDomain: null, searchPolicy: "full_search" as const, restriction: { type: "AllowAll" as const } },
      { domain: "c.example", infraDomain: null, searchPolicy: "full_search" as const, restriction: { type: "AllowAll" as const }, cas: [0] },
    ],
  };
}

beforeAll(async () => {
  world = await startWorld();
  cCA = await createCertificateAuthority({ commonName: "C's private CA", validityDays: 2 });
  // Both trust the shared CA (no peer's: trust.extraCABundle) and C's CA (peer c.example's caBundle).
  const trusted = [world.ca, cCA];
  passthrough = await world.addBackend("p", "127.0.0.6", { trusted, config: bConfig("p", "AllowList") });
  behindIngress = await world.addBackend("h", "127.0.0.7", { trusted, config: { ...bConfig("h", "AllowList"), listen: { externalTLS: false } } });
  await world.setExtraRecords([srvRecord("c.example", 443), srvRecord("d.example", 443)], [
    { name: "federator.c.example", address: "127.0.0.9" },
    { name: "federator.d.example", address: "127.0.0.9" },
  ]);
});
afterAll(async () => {
  await world?.close();
});

/** A call as `origin` with `certificate`, to `to`'s external port (directly, or as the ingress forwards it). */
async function claim(to: Backend, origin: string, issuer: CertificateAuthority, name: string): Promise<HttpResult> {
  const certificate = await federatorCertificate(issuer, name);
  const headers = { "wire-origin-domain": origin, "content-type": "application/json" };
  if (to === passthrough) return ingressCall(to, { certificate, trust: [world.ca], path: "/federation/brig/get-user", headers });
  return http1(`http://${to.ip}:${to.externalPort}/federation/brig/get-user`, { headers: { ...headers, "ssl-client-cert": nginxEscape(certificate.certificatePem) }, body: "{}" });
}

describe.each([
  ["Passthrough", () => passthrough],
  ["behind the ingress (ssl-client-cert)", () => behindIngress],
])("a peer's CA vouches only for that peer (%s)", (_mode, target) => {
  it("refuses C's CA vouching for a.example, a peer without caBundle, and names C", async () => {
    const to = target();
    const before = to.components.brig.requests.length;
    const forged = await claim(to, "a.example", cCA, "federator.a.example");
    expect(forged.status).toBe(403);
    expect(json(forged)).toMatchObject({ label: "authentication-failure", message: expect.stringMatching(/a CA of the FederationPeer for \[c\.example\]: a peer's CA vouches only for that peer, and \[a\.example\] has no caBundle/) });
    expect(to.components.brig.requests.length).toBe(before);
    // A's real certificate (the shared CA, which belongs to no peer) and C's own still work.
    expect((await claim(to, "a.example", world.ca, "federator.a.example")).status).toBe(200);
    expect((await claim(to, "c.example", cCA, "federator.c.example")).status).toBe(200);
  });

  it("refuses C's CA vouching for an unlisted domain under AllowAll", async () => {
    const to = target();
    await to.writeConfig({ ...to.config, strategy: "AllowAll" });
    const before = to.components.brig.requests.length;
    const forged = await claim(to, "d.example", cCA, "federator.d.example");
    expect(forged.status).toBe(403);
    expect(json(forged)).toMatchObject({ message: expect.stringMatching(/\[d\.example\] has no caBundle/) });
    expect(to.components.brig.requests.length).toBe(before);
    expect((await claim(to, "d.example", world.ca, "federator.d.example")).status).toBe(200);
  });
});
