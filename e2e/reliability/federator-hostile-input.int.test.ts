// Scenario: hostile clients against a running federator. N sits behind nginx (plain HTTP external
// port, client certificate from X-SSL-Certificate) and trusts a.example; A and B talk mutual TLS.
// Every hostile request is refused without reaching brig, and the federator keeps serving others.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../../lib/certs/issue.ts";
import { http1, json, rpc, type Backend, type HttpResult } from "../../federator/testing/backends.ts";
import { federatorCertificate, nginxEscape } from "../../federator/testing/pki.ts";
import { baseConfig, startWorld, type World } from "../../federator/testing/world.ts";
import { waitFor } from "../support/wait-for.ts";
import { rawRequest, slowClient, type SlowClient } from "./raw-http.ts";

const MAX_BODY = 4096;
let world: World;
let n: Backend;
let aCertificate: IssuedCertificate;
let evilCertificate: IssuedCertificate;
const slow: SlowClient[] = [];

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["b.example", "n.example"], bRemotes: ["a.example"] });
  n = await world.addBackend("n", "127.0.0.7", {
    config: { ...baseConfig("n", world.dns.address, ["a.example"]), listen: { externalTLS: false }, limits: { maxBodyBytes: MAX_BODY } },
  });
  aCertificate = await federatorCertificate(world.ca, "federator.a.example");
  evilCertificate = await federatorCertificate(world.ca, "federator.evil.example");
});
afterAll(async () => {
  for (const client of slow.splice(0)) client.close();
  await world?.close();
});

const externalUrl = () => `http://${n.ip}:${n.externalPort}/federation/brig/get-user`;
const internalPort = () => Number(new URL(n.internalUrl).port);
const nginxHeaders = (certificate: IssuedCertificate = aCertificate) => ({
  "content-type": "application/json",
  "wire-origin-domain": "a.example",
  "ssl-client-cert": nginxEscape(certificate.certificatePem),
});
/** What nginx would forward for a.example: allowed, so a refusal below is down to the hostile part alone. */
const ingress = (headers: Record<string, string> = {}, body: string | Buffer = "{}") => http1(externalUrl(), { headers: { ...nginxHeaders(), ...headers }, body });
const brigCalls = () => n.components.brig.requests.length;
const label = (result: HttpResult) => json(result)["label"];

/** A raw request to N's external port as nginx would send it, with `extra` header lines (CRLF-terminated) spliced in. */
function rawIngress(extra: string, options: { originLine?: string; body?: string } = {}): string {
  const body = options.body ?? "{}";
  const origin = options.originLine ?? "Wire-Origin-Domain: a.example\r\n";
  return (
    "POST /federation/brig/get-user HTTP/1.1\r\nHost: federator\r\nConnection: close\r\nContent-Type: application/json\r\n" +
    `ssl-client-cert: ${nginxEscape(aCertificate.certificatePem)}\r\n${origin}${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function chunkedIngress(totalBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(externalUrl(), { method: "POST", headers: { ...nginxHeaders(), "transfer-encoding": "chunked" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    const chunk = Buffer.alloc(1024, "x");
    for (let sent = 0; sent < totalBytes; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

describe("federator under hostile input", () => {
  it("serves a well-formed ingress call (the baseline the refusals below differ from)", async () => {
    const before = brigCalls();
    expect((await ingress()).status).toBe(200);
    expect(brigCalls()).toBe(before + 1);
    expect(n.components.brig.requests.at(-1)?.headers["wire-origin-domain"]).toBe("a.example");
  });

  describe("a spoofed X-SSL-Certificate on the internal port", () => {
    it("finds no /federation there: 404 not-found, nothing forwarded", async () => {
      const before = brigCalls();
      const result = await http1(`${n.internalUrl}/federation/brig/get-user`, { headers: nginxHeaders(), body: "{}" });
      expect(result.status).toBe(404);
      expect(label(result)).toBe("not-found");
      expect(brigCalls()).toBe(before);
    });

    it("is neither trusted nor forwarded on egress: the remote sees our domain and no certificate header", async () => {
      const result = await rpc(world.a, "b.example", "brig", "get-user", "{}", { "x-ssl-certificate": nginxEscape(evilCertificate.certificatePem), "wire-origin-domain": "evil.example" });
      expect(result.status).toBe(200);
      const received = world.b.components.brig.requests.at(-1);
      expect(received?.headers["wire-origin-domain"]).toBe("a.example");
      expect(received?.headers["x-ssl-certificate"]).toBeUndefined();
    });
  });

  describe("oversized bodies", () => {
    it("refuses a declared body over the limit on the external port with 413 request-too-large", async () => {
      const before = brigCalls();
      const result = await ingress({}, Buffer.alloc(MAX_BODY * 2, "x"));
      expect(result.status).toBe(413);
      expect(label(result)).toBe("request-too-large");
      expect(brigCalls()).toBe(before);
    });

    it("refuses a chunked body that grows over the limit with 413", async () => {
      expect(await chunkedIngress(MAX_BODY * 16)).toBe(413);
    });

    it("refuses an oversized egress body with 413 before contacting the remote", async () => {
      const result = await rpc(n, "a.example", "brig", "get-user", Buffer.alloc(MAX_BODY * 2, "x"));
      expect(result.status).toBe(413);
      expect(label(result)).toBe("request-too-large");
    });
  });

  describe("header injection", () => {
    it.each([
      ["a bare CR inside Wire-Origin-Domain", "", "Wire-Origin-Domain: a.example\rX-Injected: yes\r\n"],
      ["a bare LF inside Wire-Origin-Domain", "", "Wire-Origin-Domain: a.example\nX-Injected: yes\r\n"],
      ["a folded (obs-fold) Wire-Origin-Domain", "", "Wire-Origin-Domain: evil.example\r\n a.example\r\n"],
      ["two different Content-Length headers", "Content-Length: 40\r\n", undefined],
      ["Transfer-Encoding next to Content-Length", "Transfer-Encoding: chunked\r\n", undefined],
    ])("refuses %s with 400 at the HTTP parser", async (_name, extra, originLine) => {
      const before = brigCalls();
      const result = await rawRequest(n.ip, n.externalPort, rawIngress(extra, originLine === undefined ? {} : { originLine }));
      expect(result.status, result.text.slice(0, 200)).toBe(400);
      expect(brigCalls()).toBe(before);
    });

    it.each([
      ["two Wire-Origin-Domain headers", "Wire-Origin-Domain: a.example\r\nWire-Origin-Domain: evil.example\r\n", "domain-parse-error"],
      ["a Wire-Origin-Domain listing two domains", "Wire-Origin-Domain: a.example, evil.example\r\n", "domain-parse-error"],
      ["percent-encoded CR LF in Wire-Origin-Domain", "Wire-Origin-Domain: a.example%0d%0aX-Injected:%20yes\r\n", "domain-parse-error"],
    ])("refuses %s with 400", async (_name, originLine, expectedLabel) => {
      const before = brigCalls();
      const result = await rawRequest(n.ip, n.externalPort, rawIngress("", { originLine }));
      expect(result.status, result.text.slice(0, 300)).toBe(400);
      expect(result.text).toContain(`"label":"${expectedLabel}"`);
      expect(brigCalls()).toBe(before);
    });

    it("refuses a second X-SSL-Certificate header (a valid certificate and a spoofed one)", async () => {
      const before = brigCalls();
      const spoofed = `ssl-client-cert: ${nginxEscape(evilCertificate.certificatePem)}\r\n`;
      const result = await rawRequest(n.ip, n.externalPort, rawIngress(spoofed));
      expect(result.status, result.text.slice(0, 300)).toBe(400);
      expect(result.text).toContain('"label":"certificate-parse-error"');
      expect(brigCalls()).toBe(before);
    });
  });

  describe("slowloris clients", () => {
    it("keep serving others while 100 connections trickle their headers in", async () => {
      for (let i = 0; i < 50; i++) slow.push(slowClient(n.ip, n.externalPort, 200), slowClient(n.ip, internalPort(), 200));
      await waitFor(() => slow.every((c) => c.sent() >= 3), { description: "every slow client to have sent part of its head", timeoutMs: 20_000 });

      const before = brigCalls();
      expect((await ingress()).status).toBe(200);
      expect(brigCalls()).toBe(before + 1);
      expect((await http1(`${n.internalUrl}/i/status`, { method: "GET" })).status).toBe(200);
      expect(slow.filter((c) => c.closedByServer())).toEqual([]); // still open: what bounds them is the next test
    });

    it("are bounded: a head that never ends is cut off at the header size limit, and the header timeout is finite", async () => {
      const endless = `POST /federation/brig/get-user HTTP/1.1\r\nHost: federator\r\nX-Slow: ${"a".repeat(64 * 1024)}`;
      const result = await rawRequest(n.ip, n.externalPort, endless);
      expect(result.status).toBe(431);
      // A head still incomplete after the federator's header timeout (10 s) is cut off.
      const trickler = slowClient(n.ip, n.externalPort, 500);
      const started = Date.now();
      await waitFor(() => trickler.closedByServer(), { description: "the federator closes a connection whose head never completes", timeoutMs: 20_000 });
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    it("leave the federator up: ingress and egress still work after everything above", async () => {
      for (const client of slow.splice(0)) client.close();
      expect((await ingress()).status).toBe(200);
      expect((await rpc(world.a, "b.example", "brig", "get-user")).status).toBe(200);
      expect((await http1(`${n.internalUrl}/i/status`, { method: "GET" })).status).toBe(200);
    });
  });
});
