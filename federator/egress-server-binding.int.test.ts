// Attack (issue 15, finding 3a): egress trusted the whole CA bundle. A DNS or network attacker who
// holds any bundle CA (here C's, an accepted peer's private CA) answers for x.example with a
// certificate for federator.x.example issued by C's CA. Before the fix our federator sent it the call
// (headers and body) and handed its answer to brig as B's.
import { X509Certificate } from "node:crypto";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, type CertificateAuthority } from "../lib/certs/issue.ts";
import { compactFingerprint } from "../lib/certs/pem.ts";
import { json, rpc, type Backend } from "./testing/backends.ts";
import { federatorCertificate } from "./testing/pki.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

let world: World;
let cCA: CertificateAuthority;
/** e: b.example and x1.example have the shared CA as their own. g: they have no caBundle (the shared CA belongs to no peer). */
let e: Backend;
let g: Backend;
let impostor: Http2SecureServer;
let impostorPort = 0;
const reachedImpostor: string[] = [];

const fingerprint = (ca: CertificateAuthority) => compactFingerprint(new X509Certificate(ca.certificatePem));

type Remote = { domain: string; cas: number[] };
function config(name: string, caFingerprints: string[], remotes: Remote[]) {
  return { ...baseConfig(name, world.dns.address, []), caFingerprints, remotes: remotes.map((r) => ({ ...r, infraDomain: null, searchPolicy: "full_search" as const, restriction: { type: "AllowAll" as const } })) };
}

beforeAll(async () => {
  world = await startWorld({ bRemotes: ["a.example", "e.example", "g.example"] });
  cCA = await createCertificateAuthority({ commonName: "C's private CA", validityDays: 2 });
  const c = { domain: "c.example", cas: [1] };
  e = await world.addBackend("e", "127.0.0.10", { trusted: [world.ca, cCA], config: config("e", [fingerprint(world.ca), fingerprint(cCA)], [{ domain: "b.example", cas: [0] }, { domain: "x1.example", cas: [0] }, c]) });
  g = await world.addBackend("g", "127.0.0.11", { trusted: [world.ca, cCA], config: config("g", [fingerprint(cCA)], [{ domain: "b.example", cas: [] }, { domain: "x2.example", cas: [] }, { ...c, cas: [0] }]) });
  const forged = await federatorCertificate(cCA, "federator.x1.example", "federator.x2.example");
  impostor = createSecureServer({ cert: forged.chainPem, key: forged.privateKeyPem });
  impostor.on("stream", (stream, headers) => {
    reachedImpostor.push(String(headers[":path"]));
    stream.respond({ ":status": 200, "content-type": "application/json" });
    stream.end('{"impostor":true}');
  });
  await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.3", resolve));
  const address = impostor.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  impostorPort = address.port;
  // x1 and x2 are answered by the impostor.
  const srv = (domain: string, port: number) => ({ name: `_wire-server-federator._tcp.${domain}`, target: `federator.${domain}`, port });
  await world.setExtraRecords(
    [srv("x1.example", impostorPort), srv("x2.example", impostorPort)],
    ["x1", "x2"].map((name) => ({ name: `federator.${name}.example`, address: "127.0.0.3" })),
  );
});
afterAll(async () => {
  await new Promise<void>((resolve) => impostor?.close(() => resolve()));
  await world?.close();
});

describe("egress reaches only a server its peer's own CAs vouch for", () => {
  it("refuses a server whose certificate C's CA issued for a remote with its own CA", async () => {
    const real = await rpc(e, "b.example", "brig", "get-user", "{}");
    expect(real.status, real.body.toString()).toBe(200);
    const hijacked = await rpc(e, "x1.example", "brig", "get-user", '{"secret":1}');
    expect(hijacked.status).toBe(525);
    expect(json(hijacked)).toMatchObject({ label: "federation-tls-error", message: expect.stringMatching(/chains to none of x1\.example's CAs/) });
    expect(reachedImpostor).toEqual([]);
  });

  it("refuses a server whose certificate C's CA issued for a remote without caBundle", async () => {
    const real = await rpc(g, "b.example", "brig", "get-user", "{}");
    expect(real.status, real.body.toString()).toBe(200);
    const hijacked = await rpc(g, "x2.example", "brig", "get-user", '{"secret":1}');
    expect(hijacked.status).toBe(525);
    expect(json(hijacked)).toMatchObject({ label: "federation-tls-error", message: expect.stringMatching(/chains to a CA of the FederationPeer for \[c\.example\]/) });
    expect(reachedImpostor).toEqual([]);
  });
});
