// Attacks on the federator's capacity (issue 15, finding 4), on loopback for real: HTTP/2 settings
// that invite thousands of held streams, rapid reset (HEADERS+RST_STREAM floods, CVE-2023-44487),
// trickling bodies that hold every connection to brig, and TLS handshakes that never finish.
// Before the fix: unlimited streams and header list advertised, no GOAWAY for a reset flood, no
// in-flight bound per origin, idle timeouts only, Node's 120 s handshake timeout.
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { connect as http2Connect, constants as h2, type ClientHttp2Session, type Settings } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../lib/certs/issue.ts";
import { json, waitUntil, type Backend, type HttpResult } from "./testing/backends.ts";
import { rapidResetFlood } from "./testing/h2-frames.ts";
import { federatorCertificate } from "./testing/pki.ts";
import { startRecordingComponent, type RecordingComponent } from "./testing/recording-component.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

const IN_FLIGHT = 2;
let world: World;
let s: Backend;
let brig: RecordingComponent;
let aCertificate: IssuedCertificate;
let bCertificate: IssuedCertificate;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["s.example"], bRemotes: ["s.example"] });
  brig = await startRecordingComponent("127.0.0.11");
  s = await world.addBackend("s", "127.0.0.11", {
    config: { ...baseConfig("s", world.dns.address, ["a.example", "b.example"]), limits: { maxInFlightPerOrigin: IN_FLIGHT, requestDeadlineSeconds: 2, handshakeTimeoutSeconds: 1, maxSessionAgeSeconds: 2 } },
    services: { brig: brig.url },
  });
  aCertificate = await federatorCertificate(world.ca, "federator.a.example");
  bCertificate = await federatorCertificate(world.ca, "federator.b.example");
});
afterAll(async () => {
  for (const session of sessions) session.destroy();
  await world?.close();
  await brig?.close();
});

function external(certificate: IssuedCertificate): ClientHttp2Session {
  const session = http2Connect(`https://${s.ip}:${s.externalPort}`, { ca: world.ca.certificatePem, cert: certificate.chainPem, key: certificate.privateKeyPem, servername: "federator.s.example" });
  session.on("error", () => undefined);
  sessions.push(session);
  return session;
}

function internal(): ClientHttp2Session {
  const session = http2Connect(s.internalUrl);
  session.on("error", () => undefined);
  sessions.push(session);
  return session;
}

function remoteSettings(session: ClientHttp2Session): Promise<Settings> {
  return new Promise((resolve) => session.once("remoteSettings", resolve));
}

/** A POST on `session` from `origin`; `body` undefined leaves the body open (trickling). */
function post(session: ClientHttp2Session, origin: string, body?: string): { response: Promise<HttpResult>; write: (chunk: string) => void; destroy: () => void } {
  const stream = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: "/federation/brig/get-user", "content-type": "application/json", "wire-origin-domain": origin });
  const response = new Promise<HttpResult>((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve({ status, headers: {}, body: Buffer.concat(chunks) }));
    stream.on("error", reject);
  });
  response.catch(() => undefined);
  if (body !== undefined) stream.end(body);
  return { response, write: (chunk) => stream.write(chunk), destroy: () => stream.destroy() };
}

describe("HTTP/2 and slow-client exhaustion", () => {
  it.each([
    ["external (Passthrough TLS)", () => external(aCertificate)],
    ["internal (h2c)", internal],
  ])("the %s port advertises bounded concurrent streams and header list size", async (_port, open) => {
    const settings = await remoteSettings(open());
    expect(settings.maxConcurrentStreams).toBeLessThanOrEqual(256);
    expect(settings.maxHeaderListSize).toBeLessThanOrEqual(64 * 1024);
  });

  it.each([
    ["external (Passthrough TLS)", true],
    ["internal (h2c)", false],
  ])("answers a HEADERS+RST_STREAM flood on the %s port with GOAWAY", async (_port, tls) => {
    // 900 resets: below nghttp2's default burst of 1000, so before the fix no GOAWAY came.
    const socket = tls
      ? tlsConnect({ host: s.ip, port: s.externalPort, servername: "federator.s.example", ca: world.ca.certificatePem, cert: aCertificate.chainPem, key: aCertificate.privateKeyPem, ALPNProtocols: ["h2"] })
      : netConnect(Number(new URL(s.internalUrl).port), s.ip);
    await new Promise((resolve) => socket.once(tls ? "secureConnect" : "connect", resolve));
    expect(await rapidResetFlood(socket, { count: 900, batch: 50, tls, timeoutMs: 15_000 })).toBeTypeOf("number");
  });

  it("refuses an origin's requests beyond its in-flight limit with 503, while another origin is still served", async () => {
    const session = external(aCertificate);
    const held = Array.from({ length: IN_FLIGHT }, () => post(session, "a.example"));
    for (const h of held) h.write("{");
    await waitUntil(() => brig.openRequests() >= IN_FLIGHT, "brig holds the trickling requests", 30_000);
    const extra = await post(session, "a.example", "{}").response;
    expect(extra.status).toBe(503);
    expect(json(extra)["label"]).toBe("too-many-requests");
    const other = await post(external(bCertificate), "b.example", "{}").response;
    expect(other.status).toBe(200);
    for (const h of held) h.destroy();
  });

  it("ends a request whose body trickles past the total deadline with 408, and brig's request aborted", async () => {
    const before = brig.outcomes.length;
    const trickle = post(external(bCertificate), "b.example");
    const timer = setInterval(() => trickle.write(" "), 200);
    try {
      const result = await trickle.response;
      expect(result.status).toBe(408);
      await waitUntil(() => brig.outcomes.length > before, "brig's request ends", 30_000);
      expect(brig.outcomes[before]?.complete).toBe(false);
    } finally {
      clearInterval(timer);
    }
  }, 30_000);

  it("sends GOAWAY to a Passthrough session older than the maximum session age (finding 11)", async () => {
    const session = external(aCertificate);
    const code = await new Promise<number>((resolve) => session.once("goaway", (c: number) => resolve(c)));
    expect(code).toBe(h2.NGHTTP2_NO_ERROR);
  }, 20_000);

  it("closes a connection that does not finish its TLS handshake within the handshake timeout", async () => {
    const socket = netConnect(s.externalPort, s.ip);
    socket.on("error", () => undefined);
    const closedAt = await new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
    expect(closedAt).toBeGreaterThan(0);
  }, 20_000);
});
