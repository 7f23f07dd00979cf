// Attacks by a remote on our egress (issue 15, findings 9, 3 and 10), on loopback for real.
// 9: the remote's SRV record names an internal IP:port (127.0.0.14:<listener>): before the fix the
//    federator connected there and the error echoed the address. V refuses private targets.
// 3: a hostile remote federator (a recording HTTP/2 server with a certificate of our test CA)
//    saw the caller's cookie, authorization and z-user headers, and its set-cookie came back.
// 10: under AllowAll, every claimed origin became a metric label value and a DNS query.
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http1, json, metricsOf, rpc, srvRecord, type Backend } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape } from "./testing/pki.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

let world: World;
let v: Backend;
let w: Backend;
let internalListener: TcpServer;
let internalConnections = 0;
let hostileRemote: Http2SecureServer;
const seenByRemote: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["m.example"] });
  internalListener = createTcpServer((socket) => {
    internalConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => internalListener.listen(0, "127.0.0.14", resolve));
  const mCertificate = await federatorCertificate(world.ca, "federator.m.example");
  hostileRemote = createSecureServer({ cert: mCertificate.chainPem, key: mCertificate.privateKeyPem, ca: world.ca.certificatePem, requestCert: true }, (request, response) => {
    seenByRemote.push(request.headers);
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json", "set-cookie": "zuid=stolen; Path=/", "x-remote-internal": "yes" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => hostileRemote.listen(0, "127.0.0.13", resolve));
  await world.setExtraRecords(
    [srvRecord("internal.example", (internalListener.address() as AddressInfo).port), srvRecord("m.example", (hostileRemote.address() as AddressInfo).port)],
    [
      { name: "federator.internal.example", address: "127.0.0.14" },
      { name: "federator.m.example", address: "127.0.0.13" },
    ],
  );
  const vConfig = baseConfig("v", world.dns.address, ["internal.example"]);
  v = await world.addBackend("v", "127.0.0.15", { config: { ...vConfig, dns: { server: world.dns.address, allowPrivateTargets: false } } });
  w = await world.addBackend("w", "127.0.0.16", { config: { ...baseConfig("w", world.dns.address, []), strategy: "AllowAll", listen: { externalTLS: false }, limits: { unlistedDiscoveryBurst: 5, unlistedDiscoveryPerSecond: 0.1 } } });
});
afterAll(async () => {
  await world?.close();
  internalListener?.close();
  hostileRemote?.close();
});

describe("SRV targets at internal addresses (finding 9)", () => {
  it("refuses a remote whose SRV target is a loopback address, without connecting and without echoing the address", async () => {
    const result = await rpc(v, "internal.example", "brig", "get-user");
    expect(result.status).toBe(521);
    expect(json(result)["label"]).toBe("federation-connection-refused");
    expect(result.body.toString()).not.toContain("127.0.0.14");
    expect(internalConnections).toBe(0);
  });
});

describe("headers across the egress boundary (finding 3)", () => {
  it("does not forward the caller's cookie, authorization or z-user to the remote, nor return its set-cookie", async () => {
    const result = await rpc(world.a, "m.example", "brig", "get-user", "{}", { cookie: "zuid=secret", authorization: "Bearer secret", "z-user": "6e2b1d7c-0000-0000-0000-000000000001", "x-wire-api-version": "v3", accept: "application/json" });
    expect(result.status).toBe(200);
    const seen = seenByRemote.at(-1) ?? {};
    expect(seen["cookie"]).toBeUndefined();
    expect(seen["authorization"]).toBeUndefined();
    expect(seen["z-user"]).toBeUndefined();
    expect(seen["x-wire-api-version"]).toBe("v3");
    expect(seen["wire-origin-domain"]).toBe("a.example");
    expect(result.headers["set-cookie"]).toBeUndefined();
    expect(result.headers["x-remote-internal"]).toBeUndefined();
    expect(result.headers["content-type"]).toBe("application/json");
  });
});

describe("unlisted origins under AllowAll (finding 10)", () => {
  it("labels unlisted origins as one metric value and rate-limits their discovery", async () => {
    const origins = Array.from({ length: 60 }, (_, i) => `o${i}-${Math.random().toString(36).slice(2, 8)}.example`);
    const statuses: number[] = [];
    for (const origin of origins) {
      const certificate = await federatorCertificate(world.ca, `federator.${origin}`);
      const result = await http1(`http://${w.ip}:${w.externalPort}/federation/brig/get-user`, {
        headers: { "content-type": "application/json", "wire-origin-domain": origin, "ssl-client-cert": nginxEscape(certificate.certificatePem) },
        body: "{}",
      });
      statuses.push(result.status);
    }
    const metrics = await metricsOf(w);
    const labelled = origins.filter((origin) => metrics.includes(`"${origin}"`));
    expect(labelled).toEqual([]);
    // Discovered ones find no SRV record (422); beyond the budget, discovery is not even tried (503).
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
  }, 60_000);
});
