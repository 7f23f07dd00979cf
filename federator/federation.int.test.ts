import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../lib/certs/issue.ts";
import { http1, ingressCall, json, metricsOf, metricValue, rpc, srvRecord, type Backend } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape, testCa } from "./testing/pki.ts";
import { baseConfig, closedPort, startWorld, type World } from "./testing/world.ts";

let world: World;
let a: Backend;
let b: Backend;
let n: Backend;
const certificates: Record<string, IssuedCertificate> = {};

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["b.example"], bRemotes: ["a.example", "nosrv.example"] });
  ({ a, b } = world);
  const dns = world.dns.address;
  await a.writeConfig(baseConfig("a", dns, ["b.example", "u.example", "down.example", "nosrv.example", "mismatch.example", "refused.test"]));
  // N terminates nothing: like a federator behind nginx, it reads the certificate from X-SSL-Certificate.
  n = await world.addBackend("n", "127.0.0.5", { config: { ...baseConfig("n", dns, ["a.example"]), listen: { externalTLS: false } } });
  // U's certificate comes from a CA nobody trusts.
  const rogue = await testCa("Rogue CA");
  await world.addBackend("u", "127.0.0.6", { certificate: await federatorCertificate(rogue, "federator.u.example") });
  const downPort = await closedPort("127.0.0.4");
  await world.setExtraRecords(
    [srvRecord("down.example", downPort), srvRecord("mismatch.example", b.externalPort)],
    [
      { name: "federator.down.example", address: "127.0.0.4" },
      { name: "federator.mismatch.example", address: b.ip },
    ],
  );
  for (const name of ["a", "c", "evil", "nosrv"]) certificates[name] = await federatorCertificate(world.ca, `federator.${name}.example`);
});
afterAll(async () => {
  await world?.close();
});

describe("federation between two backends over mutual TLS", () => {
  it("delivers A's call to B's brig as /federation/get-user from a.example and returns the answer byte for byte", async () => {
    const answer = Buffer.concat([Buffer.from('{"user":"'), randomBytes(2048), Buffer.from('"}')]);
    b.components.brig.respondWith(() => ({ status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: answer }));
    const payload = JSON.stringify({ id: "4e5d9b9c-0000-4000-8000-000000000001" });
    const response = await rpc(a, "b.example", "brig", "get-user", payload, { "request-id": "req-123", "x-wire-api-version": "v2" });
    expect(response.status).toBe(200);
    expect(response.body.equals(answer)).toBe(true);
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    const received = b.components.brig.requests.at(-1);
    expect(received?.method).toBe("POST");
    expect(received?.path).toBe("/federation/get-user");
    expect(received?.headers["wire-origin-domain"]).toBe("a.example");
    expect(received?.headers["request-id"]).toBe("req-123");
    expect(received?.headers["x-wire-api-version"]).toBe("v2");
    // The TCP peer as B sees it (loopback connections leave from 127.0.0.1).
    expect(received?.headers["wire-origin-ip"]).toMatch(/^127\.0\.0\.\d+$/);
    expect(received?.body.toString()).toBe(payload);
  });

  it("routes galley and cargohold calls to their components", async () => {
    expect((await rpc(a, "b.example", "galley", "on-conversation-updated")).status).toBe(200);
    expect(b.components.galley.requests.at(-1)?.path).toBe("/federation/on-conversation-updated");
    expect((await rpc(a, "b.example", "cargohold", "get-asset")).status).toBe(200);
    expect(b.components.cargohold.requests.at(-1)?.path).toBe("/federation/get-asset");
  });

  it("never trusts or forwards an X-SSL-Certificate sent to the internal port", async () => {
    const spoofed = nginxEscape(certificates["evil"]?.certificatePem ?? "");
    const response = await rpc(a, "b.example", "brig", "get-user", "{}", { "x-ssl-certificate": spoofed });
    expect(response.status).toBe(200);
    expect(b.components.brig.requests.at(-1)?.headers["x-ssl-certificate"]).toBeUndefined();
    expect(b.components.brig.requests.at(-1)?.headers["wire-origin-domain"]).toBe("a.example");
  });

  it("wraps a remote component's error as 533 federation-remote-error with the remote's error inside", async () => {
    b.components.brig.respondWith(() => ({ status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ code: 404, label: "not-found", message: "no such user" }) }));
    const response = await rpc(a, "b.example", "brig", "get-user");
    b.components.brig.respondWith(() => ({ status: 200, body: "{}" }));
    expect(response.status).toBe(533);
    expect(json(response)).toEqual({
      code: 533,
      label: "federation-remote-error",
      message: "A remote federator failed with status code: 404",
      data: { type: "federation", domain: "federator.b.example", path: "/federation/brig/get-user" },
      inner: { code: 404, label: "not-found", message: "no such user" },
    });
  });

  it("counts outgoing and incoming requests by domain and status in /i/metrics", async () => {
    await rpc(a, "b.example", "brig", "get-user");
    const aMetrics = await metricsOf(a);
    const bMetrics = await metricsOf(b);
    expect(metricValue(aMetrics, "federator_outgoing_requests_total", { target_domain: "b.example", status: "200" })).toBeGreaterThan(0);
    expect(metricValue(bMetrics, "federator_incoming_requests_total", { origin_domain: "a.example", status: "200" })).toBeGreaterThan(0);
    expect(metricValue(aMetrics, "federator_config_age_seconds")).toBeGreaterThanOrEqual(0);
    expect((await http1(`${a.internalUrl}/i/status`, { method: "GET" })).status).toBe(200);
  });
});

describe("egress errors (internal port)", () => {
  it.each([
    ["a target not on the allow list", "c.example", 400, "federation-denied"],
    ["a target without SRV record", "nosrv.example", 422, "invalid-domain"],
    ["a DNS server that refuses to answer", "refused.test", 400, "discovery-failure"],
    ["a remote whose certificate no trusted CA issued", "u.example", 525, "federation-tls-error"],
    ["a remote whose certificate does not name the discovered host", "mismatch.example", 525, "federation-tls-error"],
    ["a remote that refuses the connection", "down.example", 521, "federation-connection-refused"],
  ])("refuses %s (%s) with %i %s", async (_what, target, status, label) => {
    const response = await rpc(a, target, "brig", "get-user");
    expect(response.status).toBe(status);
    expect(json(response)["label"]).toBe(label);
  });

  it("says which remote and path failed, with wire-server's status text", async () => {
    const response = await rpc(a, "down.example", "brig", "get-user");
    expect(json(response)["data"]).toEqual({ type: "federation", domain: "federator.down.example", path: "/federation/brig/get-user" });
    const tls = await rpc(a, "u.example", "brig", "get-user");
    expect(json(tls)["data"]).toEqual({ type: "federation", domain: "federator.u.example", path: "/federation/brig/get-user" });
  });

  // Statuses as wire-server's Servant routes give them (services/federator/src/Federator/InternalServer.hs).
  it.each([
    ["GET", "/rpc/b.example/brig/get-user", 403, "invalid-endpoint", "The requested endpoint does not exist"],
    ["PUT", "/rpc/b.example/brig/get-user", 403, "invalid-endpoint", "The requested endpoint does not exist"],
    ["POST", "/rpc/b.example/brig/get-user?x=1", 403, "invalid-endpoint", "The requested endpoint does not exist"],
    ["POST", "/rpc/b.example/brig", 404, "not-found", "The requested endpoint does not exist"],
    ["POST", "/something/else", 404, "not-found", "The requested endpoint does not exist"],
    ["POST", "/rpc/b.example/brig/get.user", 400, "invalid-endpoint", "invalid rpc name: get.user"],
    ["POST", "/rpc/b.example/spar/get-user", 400, "unknown-component", "No such component: spar"],
  ])("refuses %s %s with %i %s", async (method, path, status, label, message) => {
    const response = await http1(`${a.internalUrl}${path}`, { method, body: method === "GET" ? undefined : "{}" });
    expect(response.status).toBe(status);
    expect(json(response)).toEqual({ code: status, label, message });
  });

  it("refuses a body larger than the limit with 413", async () => {
    await a.writeConfig({ ...a.config, limits: { maxBodyBytes: 4096 } });
    try {
      const response = await rpc(a, "b.example", "brig", "get-user", Buffer.alloc(5000, 120));
      expect(response.status).toBe(413);
      expect(json(response)["label"]).toBe("request-too-large");
      expect((await rpc(a, "b.example", "brig", "get-user", Buffer.alloc(4000, 120))).status).toBe(200);
    } finally {
      const { limits: _limits, ...rest } = a.config;
      await a.writeConfig(rest);
    }
  });
});

describe("ingress errors (external port)", () => {
  const call = (backend: Backend, certificate: string, origin: string | undefined, path = "/federation/brig/get-user") =>
    ingressCall(backend, { certificate: certificates[certificate], trust: [world.ca], path, headers: origin === undefined ? {} : { "wire-origin-domain": origin } });

  it("accepts a certificate that names the origin's discovered federator", async () => {
    const response = await call(b, "a", "a.example");
    expect(response.status).toBe(200);
  });

  it.each([
    ["an origin not on the allow list", "c", "c.example", 400, "federation-denied"],
    ["a certificate that does not name the origin's discovered federator", "evil", "a.example", 403, "authentication-failure"],
    ["an origin without SRV record", "nosrv", "nosrv.example", 422, "invalid-domain"],
    ["a request without Wire-Origin-Domain", "a", undefined, 400, "no-origin-domain"],
    ["an unparsable Wire-Origin-Domain", "a", "not a domain", 400, "domain-parse-error"],
  ])("refuses %s with %i %s", async (_what, certificate, origin, status, label) => {
    const response = await call(b, certificate, origin);
    expect(response.status).toBe(status);
    expect(json(response)["label"]).toBe(label);
  });

  it.each([
    ["/i/status", 404, "not-found"],
    ["/i/metrics", 404, "not-found"],
    ["/federation/spar/get-user", 400, "unknown-component"],
    ["/federation/brig/get-user?x", 403, "invalid-endpoint"],
  ])("does not serve %s on the external port (%i %s)", async (path, status, label) => {
    const response = await call(b, "a", "a.example", path);
    expect(response.status).toBe(status);
    expect(json(response)["label"]).toBe(label);
  });

  it("refuses the TLS handshake of a client without a certificate (Passthrough)", async () => {
    await expect(ingressCall(b, { trust: [world.ca], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "a.example" } })).rejects.toThrow();
  });

  describe("behind nginx: certificate from X-SSL-Certificate", () => {
    const viaNginx = (headers: Record<string, string>) =>
      http1(`http://${n.ip}:${n.externalPort}/federation/brig/get-user`, { body: '{"q":1}', headers: { "content-type": "application/json", ...headers } });

    it("forwards a request whose escaped certificate names the origin's federator, with the origin IP nginx saw", async () => {
      const response = await viaNginx({ "wire-origin-domain": "a.example", "x-ssl-certificate": nginxEscape(certificates["a"]?.certificatePem ?? ""), "x-forwarded-for": "192.0.2.7" });
      expect(response.status).toBe(200);
      const received = n.components.brig.requests.at(-1);
      expect(received?.headers["wire-origin-domain"]).toBe("a.example");
      expect(received?.headers["wire-origin-ip"]).toBe("192.0.2.7");
      expect(received?.body.toString()).toBe('{"q":1}');
    });

    it.each([
      ["a missing X-SSL-Certificate", {}, 400, "no-client-certificate"],
      ["a garbage X-SSL-Certificate", { "x-ssl-certificate": "garbage%%" }, 400, "certificate-parse-error"],
      ["a truncated X-SSL-Certificate", { "x-ssl-certificate": encodeURIComponent("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n") }, 400, "certificate-parse-error"],
    ])("refuses %s with %i %s", async (_what, headers: Record<string, string>, status, label) => {
      const response = await viaNginx({ "wire-origin-domain": "a.example", ...headers });
      expect(response.status).toBe(status);
      expect(json(response)["label"]).toBe(label);
    });
  });
});
