// Attack (issue 15, finding 11): a Passthrough session outlives the removal of the CA that issued
// its client certificate. The federator verifies a Passthrough client once, at the TLS handshake, and
// while no peer CA is bound, the per-request check accepts what the TLS layer verified; so before the
// fix a client of a CA just removed from the bundle (a CA withdrawn after a compromise) kept sending
// requests on its open session until the maximum session age, an hour by default.
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, type CertificateAuthority, type IssuedCertificate } from "../lib/certs/issue.ts";
import { waitUntil, type Backend } from "./testing/backends.ts";
import { federatorCertificate } from "./testing/pki.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

let world: World;
let withdrawn: CertificateAuthority;
let r: Backend;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  world = await startWorld();
  withdrawn = await createCertificateAuthority({ commonName: "CA about to be withdrawn", validityDays: 2 });
  r = await world.addBackend("r", "127.0.0.12", { trusted: [world.ca, withdrawn], config: baseConfig("r", world.dns.address, ["a.example"]) });
});
afterAll(async () => {
  for (const session of sessions) session.destroy();
  await world?.close();
});

function open(certificate: IssuedCertificate): ClientHttp2Session {
  const session = http2Connect(`https://${r.ip}:${r.externalPort}`, { ca: world.ca.certificatePem, cert: certificate.chainPem, key: certificate.privateKeyPem, servername: "federator.r.example" });
  session.on("error", () => undefined);
  sessions.push(session);
  return session;
}

function status(session: ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": "/federation/brig/get-user", "wire-origin-domain": "a.example" });
    stream.on("response", (headers) => resolve(Number(headers[":status"])));
    stream.on("error", reject);
    stream.on("close", () => reject(new Error(`stream closed (code ${stream.rstCode})`)));
    stream.resume();
    stream.end("{}");
  });
}

describe("a CA removed from the bundle", () => {
  it("stops vouching at once: its Passthrough sessions get GOAWAY, others keep theirs", async () => {
    const doomed = open(await federatorCertificate(withdrawn, "federator.a.example"));
    const kept = open(await federatorCertificate(world.ca, "federator.a.example"));
    expect(await status(doomed)).toBe(200);
    expect(await status(kept)).toBe(200);
    let goaway = false;
    doomed.once("goaway", () => (goaway = true));
    let keptGoaway = false;
    kept.once("goaway", () => (keptGoaway = true));
    r.writeCa([world.ca]);
    await waitUntil(() => goaway, "GOAWAY to the session of the withdrawn CA");
    expect(keptGoaway).toBe(false);
    expect(await status(kept)).toBe(200);
    // Reconnecting does not help: the handshake now fails.
    const again = open(await federatorCertificate(withdrawn, "federator.a.example"));
    await expect(status(again)).rejects.toThrow();
  });
});
