// Attack (issue 15, finding 5): a client sends part of a body and then resets its stream (HTTP/2)
// or drops its connection (HTTP/1.1). Before the fix, the federator ended the upstream chunked
// request as if the body were complete, and brig acted on `{"transfer":"100","to":"al`. A brig
// that records how each body ended must only ever see the truncated request aborted, on the
// external port (Passthrough HTTP/2, nginx-mode HTTP/1.1) and on the internal port (h2c, HTTP/1.1).
import { connect as netConnect } from "node:net";
import { connect as http2Connect, constants as h2, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../lib/certs/issue.ts";
import { REPLAYABLE_BODY_BYTES } from "./remote.ts";
import { metricsOf, metricValue, waitUntil, type Backend } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape } from "./testing/pki.ts";
import { startRecordingComponent, type RecordingComponent } from "./testing/recording-component.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

const PARTIAL = '{"transfer":"100","to":"al';
/** Egress holds bodies up to REPLAYABLE_BODY_BYTES before sending them (to replay a refused stream); longer ones stream. */
const LONG_PARTIAL = `{"blob":"${"x".repeat(REPLAYABLE_BODY_BYTES + 64 * 1024)}`;
let world: World;
let p: Backend;
let q: Backend;
let pBrig: RecordingComponent;
let qBrig: RecordingComponent;
let aCertificate: IssuedCertificate;

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["p.example"] });
  pBrig = await startRecordingComponent("127.0.0.8");
  qBrig = await startRecordingComponent("127.0.0.9");
  p = await world.addBackend("p", "127.0.0.8", { config: baseConfig("p", world.dns.address, ["a.example"]), services: { brig: pBrig.url } });
  q = await world.addBackend("q", "127.0.0.9", { config: { ...baseConfig("q", world.dns.address, ["a.example"]), listen: { externalTLS: false } }, services: { brig: qBrig.url } });
  aCertificate = await federatorCertificate(world.ca, "federator.a.example");
});
afterAll(async () => {
  await world?.close();
  await pBrig?.close();
  await qBrig?.close();
});

/** Sends PARTIAL, waits until `brig` holds part of it, then lets `abort` cut the request; resolves with how brig saw it end. */
async function truncate(brig: RecordingComponent, send: () => { abort: () => void }): Promise<{ complete: boolean; body: string }> {
  const before = brig.outcomes.length;
  const { abort } = send();
  await waitUntil(() => brig.receiving() > 0 || brig.outcomes.length > before, "brig receives part of the body", 30_000);
  abort();
  await waitUntil(() => brig.outcomes.length > before, "brig sees the request end", 30_000);
  const outcome = brig.outcomes[before];
  if (outcome === undefined) throw new Error("no outcome");
  return outcome;
}

/**
 * RST_STREAM without END_STREAM: destroy() resets at once. (close(code) would first end the body,
 * END_STREAM, and reset after: a complete body cancelled, not a truncated one.)
 */
function resetMidBody(stream: ClientHttp2Stream, session: ClientHttp2Session): void {
  stream.destroy(new Error("reset mid-body"));
  session.close();
}

/** A raw HTTP/1.1 chunked request whose connection is dropped after the first chunk. */
function http1Partial(host: string, port: number, path: string, headers: string, partial = PARTIAL): { abort: () => void } {
  const socket = netConnect(port, host);
  socket.on("error", () => undefined);
  const chunk = Buffer.from(partial);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: federator\r\nContent-Type: application/json\r\n${headers}Transfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${partial}\r\n`);
  return { abort: () => socket.destroy() };
}

describe("a request truncated by its client never reaches brig as complete", () => {
  it("external port, HTTP/2 (Passthrough): a stream reset mid-body aborts brig's request", async () => {
    const outcome = await truncate(pBrig, () => {
      const session = http2Connect(`https://${p.ip}:${p.externalPort}`, { ca: world.ca.certificatePem, cert: aCertificate.chainPem, key: aCertificate.privateKeyPem, servername: "federator.p.example" });
      session.on("error", () => undefined);
      const stream = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: "/federation/brig/transfer", "content-type": "application/json", "wire-origin-domain": "a.example" });
      stream.on("error", () => undefined);
      stream.write(PARTIAL);
      return { abort: () => resetMidBody(stream, session) };
    });
    expect(outcome).toEqual({ complete: false, body: PARTIAL });
  });

  it("external port, HTTP/1.1 (behind nginx): a connection dropped mid-body aborts brig's request", async () => {
    const outcome = await truncate(qBrig, () => http1Partial(q.ip, q.externalPort, "/federation/brig/transfer", `Wire-Origin-Domain: a.example\r\nssl-client-cert: ${nginxEscape(aCertificate.certificatePem)}\r\n`));
    expect(outcome.complete).toBe(false);
  });

  it("internal port, HTTP/2 prior knowledge: brig's stream reset mid-body aborts the remote's request", async () => {
    const outcome = await truncate(pBrig, () => {
      const { stream, session } = h2cRequest();
      stream.write(LONG_PARTIAL);
      return { abort: () => resetMidBody(stream, session) };
    });
    expect(outcome.complete).toBe(false);
    expect(LONG_PARTIAL.startsWith(outcome.body)).toBe(true);
  });

  it("internal port, HTTP/1.1: a connection dropped mid-body aborts the remote's request", async () => {
    const url = new URL(world.a.internalUrl);
    const outcome = await truncate(pBrig, () => http1Partial(url.hostname, Number(url.port), "/rpc/p.example/brig/transfer", "", LONG_PARTIAL));
    expect(outcome.complete).toBe(false);
  });

  it("internal port: a short body reset mid-way never leaves the federator", async () => {
    const before = { outcomes: pBrig.outcomes.length, calls: await callsTowardsP("com_wire_federator_outgoing_requests"), aborted: await abortedTowardsP() };
    const { stream, session } = h2cRequest();
    stream.write(PARTIAL);
    await waitUntil(async () => (await callsTowardsP("com_wire_federator_outgoing_requests")) > before.calls, "the federator has the call", 10_000);
    resetMidBody(stream, session);
    await waitUntil(async () => (await abortedTowardsP()) > before.aborted, "the federator answers the aborted call with request-aborted", 30_000);
    // Short bodies are held until complete (to replay a refused stream), so not a byte went on.
    expect(pBrig.outcomes.length).toBe(before.outcomes);
    expect(pBrig.receiving()).toBe(0);
  });
});

function h2cRequest(): { stream: ClientHttp2Stream; session: ClientHttp2Session } {
  const session = http2Connect(world.a.internalUrl);
  session.on("error", () => undefined);
  const stream = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: "/rpc/p.example/brig/transfer", "content-type": "application/json" });
  stream.on("error", () => undefined);
  return { stream, session };
}

async function callsTowardsP(metric: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await metricsOf(world.a), metric, { target_domain: "p.example", ...labels });
}

function abortedTowardsP(): Promise<number> {
  return callsTowardsP("federator_outgoing_requests_total", { status: "400" });
}
