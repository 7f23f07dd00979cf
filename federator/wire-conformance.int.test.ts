// Conformance with wire-server: one `describe` per row of the README's "Compatibility with
// wire-server" table, each written from the wire-server file it names (github.com/wireapp/wire-server).
// Callers are e2e/support/wire-client.ts, which calls the internal port as wire-server's federation
// client does; remotes are our federators in Passthrough mode and, behind nginx, in Nginx mode.
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureError, WireClient } from "../e2e/support/wire-client.ts";
import { createIntermediateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../lib/certs/issue.ts";
import { compactFingerprint } from "../lib/certs/pem.ts";
import { federatorServices } from "../operator/desired/workload.ts";
import { config as federationConfig } from "../operator/testing/fixtures.ts";
import { http1, ingressCall, json, metricsOf, metricValue, srvRecord, waitUntil, type Backend } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape, testCa } from "./testing/pki.ts";
import { Discovery, getaddrinfo, parseHostPort } from "./discovery.ts";
import { baseConfig, startWorld, type World } from "./testing/world.ts";

let world: World;
let a: Backend;
let b: Backend;
let n: Backend;
let client: WireClient;
/** int.example's PKI: root R (its FederationPeer's caBundle) and intermediate RI issuing its leaf. */
const pki: Record<string, CertificateAuthority> = {};
const leaves: Record<string, IssuedCertificate> = {};

const fingerprint = (ca: CertificateAuthority) => compactFingerprint(new X509Certificate(ca.certificatePem));

/** `name`'s config with peers bound to their CAs (`cas` by CA), the way the operator writes it. */
function boundConfig(name: string, peers: Record<string, readonly CertificateAuthority[]>) {
  const cas = [...new Set(Object.values(peers).flat())];
  const base = baseConfig(name, world.dns.address, Object.keys(peers));
  return {
    ...base,
    caFingerprints: cas.map(fingerprint),
    remotes: (base.remotes ?? []).map((remote) => ({ ...remote, cas: (peers[remote.domain] ?? []).map((ca) => cas.indexOf(ca)) })),
  };
}

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["b.example", "noaddress.example"], bRemotes: ["a.example"] });
  ({ a, b } = world);
  await a.writeConfig(baseConfig("a", world.dns.address, ["b.example", "noaddress.example"]));
  // An SRV record whose target has no A/AAAA record; an SRV set too large for one UDP answer.
  const many = Array.from({ length: 25 }, (_, i) => ({ ...srvRecord("many.example", 8000 + i, `federator-${i}.${"x".repeat(40)}.many.example`), priority: 10 + i }));
  const names = ["cn", "int", "other"].map((name) => srvRecord(`${name}.example`, 443));
  await world.setExtraRecords([srvRecord("noaddress.example", 443), ...names, ...many], []);
  // int.example (root R, leaf from intermediate RI) and other.example (CA O) are peers of B and N.
  pki["R"] = await testCa("Int Root CA");
  pki["RI"] = await createIntermediateAuthority({ ca: pki["R"], commonName: "Int Issuing CA", validityDays: 1 });
  pki["O"] = await testCa("Other Peer CA");
  pki["OI"] = await createIntermediateAuthority({ ca: pki["O"], commonName: "Other Issuing CA", validityDays: 1 });
  leaves["int"] = await federatorCertificate(pki["RI"], "federator.int.example");
  leaves["forgedByO"] = await federatorCertificate(pki["O"], "federator.int.example");
  leaves["forgedByOI"] = await federatorCertificate(pki["OI"], "federator.int.example");
  leaves["cn"] = await issueCertificate({ ca: world.ca, dnsNames: [], commonName: "federator.cn.example", validityDays: 1 });
  const peers = { "a.example": [], "cn.example": [], "int.example": [pki["R"]], "other.example": [pki["O"]] };
  await b.writeConfig(boundConfig("b", peers));
  b.writeCa([world.ca, pki["R"], pki["O"]]);
  n = await world.addBackend("n", "127.0.0.5", { config: { ...boundConfig("n", peers), listen: { externalTLS: false } }, trusted: [world.ca, pki["R"], pki["O"]] });
  client = new WireClient({ federator: a.internalUrl, originDomain: "a.example" });
});
afterAll(async () => {
  client?.close();
  await world?.close();
});

// Row "Internal port protocol": libs/wire-api-federation/src/Wire/API/Federation/Client.hs
// (withHTTP2StreamingRequest: `H2Manager.withHTTP2Request … (False, hostname, port)`, cleartext HTTP/2).
describe("internal port: HTTP/2 prior knowledge and HTTP/1.1 on one port", () => {
  it("serves a wire-server component's call over one reused HTTP/2 connection", async () => {
    const own = new WireClient({ federator: a.internalUrl, originDomain: "a.example" });
    try {
      for (let i = 0; i < 5; i++) expect((await own.call("b.example", "brig", "get-user", { body: { id: i } })).ok).toBe(true);
      expect(own.connectionsOpened).toBe(1);
    } finally {
      own.close();
    }
  });

  it("still serves HTTP/1.1 callers on the same port", async () => {
    const response = await http1(`${a.internalUrl}/rpc/b.example/brig/get-user`, { body: "{}", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(200);
  });
});

// Row "Trace id and component headers": Client.hs (Wire-Origin-Request-Id, no Content-Type),
// services/federator/src/Federator/Remote.hs (Request-Id to the remote),
// services/federator/src/Federator/Service.hs (Content-Type: application/json, Request-Id to the component).
describe("headers as wire-server sets them", () => {
  it("brings a wire-server call to the remote brig with Content-Type application/json and the caller's Wire-Origin-Request-Id as Request-Id", async () => {
    const before = b.components.brig.requests.length;
    const result = await client.call("b.example", "brig", "get-user-by-handle", { requestId: "wire-rid-1", body: "alice" });
    expect(result.ok).toBe(true);
    const received = b.components.brig.requests.slice(before);
    // Client.hs runFederatorClient: the api-version negotiation comes first.
    expect(received.map((r) => r.path)).toEqual(["/federation/api-version", "/federation/get-user-by-handle"]);
    const call = received[1];
    expect(call?.headers["content-type"]).toBe("application/json");
    expect(call?.headers["request-id"]).toBe("wire-rid-1");
    expect(call?.headers["wire-origin-domain"]).toBe("a.example");
    expect(call?.headers["x-wire-api-version"]).toBe("3");
    expect(call?.body.toString()).toBe('"alice"');
  });

  it("generates a Request-Id only when the caller sent none", async () => {
    const before = b.components.brig.requests.length;
    await http1(`${a.internalUrl}/rpc/b.example/brig/get-user`, { body: "{}" });
    const id = b.components.brig.requests[before]?.headers["request-id"];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  // Remote.hs: the remote's address comes back as Wire-Remote-IP (forensic only).
  it("tells the caller the remote federator's address in Wire-Remote-IP", async () => {
    const result = await client.call("b.example", "brig", "get-user");
    expect(result.response.headers["wire-remote-ip"]).toBe(b.ip);
  });
});

// Row "Component errors": libs/wai-utilities/src/Network/Wai/Utilities/Server.hs (rethrow5xx: a 5xx
// is a `server-error`), libs/wire-api-federation/src/Wire/API/Federation/Error.hs
// (federationRemoteResponseError: 533 with the remote's error inside), Client.hs mkFailureResponse.
describe("a component's 5xx", () => {
  it("reaches the caller as 533 federation-remote-error with Wire's server-error inside", async () => {
    b.components.brig.respondWith(() => ({ status: 500, body: "database down" }));
    try {
      const result = await client.call("b.example", "brig", "get-user");
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.response.status).toBe(533);
      expect(result.error.label).toBe("federation-remote-error");
      expect(result.error.inner).toEqual({ code: 500, label: "server-error", message: "database down" });
    } finally {
      b.components.brig.respondWith(() => ({ status: 200, headers: { "content-type": "application/json" }, body: "{}" }));
    }
  });
});

// Row "Metrics": services/federator/src/Federator/Run.hs (mkFederatorMetrics) and Metrics.hs.
describe("metrics", () => {
  it("counts requests under wire-server's names and labels beside ours", async () => {
    await client.call("b.example", "brig", "get-user");
    const aMetrics = await metricsOf(a);
    const bMetrics = await metricsOf(b);
    expect(metricValue(aMetrics, "com_wire_federator_outgoing_requests", { target_domain: "b.example" })).toBeGreaterThan(0);
    expect(metricValue(bMetrics, "com_wire_federator_incoming_requests", { origin_domain: "a.example" })).toBeGreaterThan(0);
    expect(metricValue(aMetrics, "federator_outgoing_requests_total", { target_domain: "b.example", status: "200" })).toBeGreaterThan(0);
  });
});

// Row "Discovery": services/federator/src/Federator/Remote.hs (the SRV target is connected to by
// name; a failure to connect is FederatorClientConnectionError → Error.hs federationRemoteHTTP2Error: 521).
describe("discovery", () => {
  it("answers 521 federation-connection-refused for an SRV target without an address", async () => {
    const response = await http1(`${a.internalUrl}/rpc/noaddress.example/brig/get-user`, { body: "{}" });
    expect(response.status).toBe(521);
    expect(json(response)["label"]).toBe("federation-connection-refused");
  });
});

// Row "Discovery": libs/dns-util (Wire.Network.DNS.Effect, the `dns` package's resolver retries a
// truncated answer over TCP) and services/federator/src/Federator/Run.hs (no dnsHost: the system's
// resolv.conf; the HTTP/2 manager resolves the SRV target through getaddrinfo).
describe("DNS like the pod's resolver", () => {
  it("asks again over TCP when the UDP answer is truncated", async () => {
    const discovery = new Discovery({ server: parseHostPort(world.dns.address) });
    const found = await discovery.discover("many.example");
    expect(found.ok && found.targets.length).toBe(25);
  });

  it("resolves target names through the system resolver (hosts file) when no DNS server is configured", async () => {
    const discovery = new Discovery({ server: parseHostPort(world.dns.address), systemLookup: getaddrinfo });
    expect(await discovery.address("localhost")).toEqual({ ok: true, address: "127.0.0.1" });
    // dnsmasq knows federator.b.example; the system resolver does not, so it is not asked.
    expect((await discovery.address("federator.b.example")).ok).toBe(false);
  });
});

// Row "Certificate names": services/federator/src/Federator/Validation.hs (validateDomainName →
// x509-validation's validateCertificateName: DNS SANs, else the subject CN) and its unit test
// validateDomainCertCN (test/unit/Test/Federator/Validation.hs).
describe("certificate names", () => {
  it("accepts a CN-only client certificate for the origin's discovered infra domain", async () => {
    const response = await ingressCall(b, { certificate: leaves["cn"], trust: [world.ca], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "cn.example" } });
    expect(response.status).toBe(200);
  });

  it("accepts it from ssl-client-cert too (behind ingress-nginx)", async () => {
    const response = await http1(`http://${n.ip}:${n.externalPort}/federation/brig/get-user`, { body: "{}", headers: { "wire-origin-domain": "cn.example", "ssl-client-cert": nginxEscape(leaves["cn"]?.certificatePem ?? "") } });
    expect(response.status).toBe(200);
  });
});

// Row "Per-peer CA binding" (ours; wire-server trusts any CA of its store for any peer:
// services/federator/src/Federator/Validation.hs checks names only).
describe("per-peer CA binding", () => {
  const passthrough = (certificate: IssuedCertificate | undefined) =>
    ingressCall(b, { certificate, trust: [world.ca], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "int.example" } });
  const nginxMode = (certificate: IssuedCertificate | undefined) =>
    http1(`http://${n.ip}:${n.externalPort}/federation/brig/get-user`, { body: "{}", headers: { "wire-origin-domain": "int.example", "ssl-client-cert": nginxEscape(certificate?.certificatePem ?? "") } });

  // Not as the issue asks: Node's TLS server does not expose the chain the client presented, so
  // Passthrough mode, like Nginx mode, needs the intermediate in the caBundle, and says so.
  it("refuses, in Passthrough mode, a leaf from an intermediate only its root vouches for, naming the intermediate to add", async () => {
    const response = await passthrough(leaves["int"]);
    expect(response.status).toBe(403);
    expect(json(response)["message"]).toContain("add [CN=Int Issuing CA] to the caBundle of the FederationPeer for int.example");
  });

  it("accepts that leaf once the intermediate is in the peer's caBundle", async () => {
    const peers = { "a.example": [], "cn.example": [], "int.example": [pki["R"]!, pki["RI"]!], "other.example": [pki["O"]!] };
    await b.writeConfig(boundConfig("b", peers));
    b.writeCa([world.ca, pki["R"]!, pki["RI"]!, pki["O"]!]);
    try {
      await waitUntil(async () => (await passthrough(leaves["int"])).status === 200, "B accepts int.example's leaf");
    } finally {
      await b.writeConfig(boundConfig("b", { "a.example": [], "cn.example": [], "int.example": [pki["R"]!], "other.example": [pki["O"]!] }));
    }
  });

  it.each([
    ["directly", "forgedByO", "Other Peer CA"],
    ["through an intermediate", "forgedByOI", "Other Issuing CA"],
  ])("refuses in Passthrough mode a leaf for this peer's name issued by another peer's CA %s", async (_how, leaf, issuer) => {
    const response = await passthrough(leaves[leaf]);
    expect(response.status).toBe(403);
    expect(json(response)["label"]).toBe("authentication-failure");
    expect(String(json(response)["message"])).toContain(`[CN=${issuer}`);
  });

  it("refuses in Nginx mode a leaf from an intermediate nobody listed, naming the issuer to add to the peer's caBundle", async () => {
    const response = await nginxMode(leaves["int"]);
    expect(response.status).toBe(403);
    expect(json(response)["message"]).toContain("its issuer [CN=Int Issuing CA] is in no caBundle; if it is int.example's intermediate CA, add [CN=Int Issuing CA] to the caBundle of the FederationPeer for int.example");
  });

  it("refuses in Nginx mode a leaf for this peer's name issued by another peer's CA, saying so", async () => {
    const response = await nginxMode(leaves["forgedByO"]);
    expect(response.status).toBe(403);
    expect(json(response)["message"]).toContain("is issued by [CN=Other Peer CA], a CA trusted for another peer or trust.extraCABundle, not by a CA of [int.example]");
  });
});

// Row "Malformed requests": services/federator/src/Federator/{InternalServer,ExternalServer}.hs (Servant
// routes: no route 404, a capture or required header that does not parse 400; the handlers' InvalidRoute
// for another method or a query string, Federator/Error/ServerError.hs: 403 invalid-endpoint).
describe("malformed requests", () => {
  const headers = { "wire-origin-domain": "a.example", "wire-origin-request-id": "bad-1", accept: "" };
  it.each([
    ["an unknown path", "/rpc/b.example/brig", 404, "not-found"],
    ["an unknown component", "/rpc/b.example/spar/get-user", 400, "unknown-component"],
    ["an invalid target domain", "/rpc/b_example/brig/get-user", 400, "domain-parse-error"],
    ["an invalid rpc name", "/rpc/b.example/brig/get.user", 400, "invalid-endpoint"],
    ["a query string", "/rpc/b.example/brig/get-user?x=1", 403, "invalid-endpoint"],
  ])("answers %s on the internal port with %i %s", async (_what, path, status, label) => {
    const response = await client.request(path, headers, Buffer.from("{}"));
    expect(response.status).toBe(status);
    expect(json(response)["label"]).toBe(label);
  });

  // Client.hs mkFailureResponse: a 403 from the local federator is a local failure (500 federation-local-error).
  it("is read by a wire-server component as federation-local-error when the local federator answers 403", async () => {
    const response = await client.request("/rpc/b.example/brig/get-user?x=1", headers, Buffer.from("{}"));
    expect(failureError(response.status, "b.example", "get-user", response.body)).toMatchObject({ code: 500, label: "federation-local-error" });
  });

  const ingress = (extra: Record<string, string>, path = "/federation/brig/get-user") =>
    http1(`http://${n.ip}:${n.externalPort}${path}`, { body: "{}", headers: { ...extra } });
  it.each([
    ["no Wire-Origin-Domain", { "x-ssl-certificate": "x" }, 400, "no-origin-domain"],
    ["an invalid Wire-Origin-Domain", { "wire-origin-domain": "not a domain", "x-ssl-certificate": "x" }, 400, "domain-parse-error"],
    ["no X-SSL-Certificate", { "wire-origin-domain": "a.example" }, 400, "no-client-certificate"],
    ["an unparsable ssl-client-cert", { "wire-origin-domain": "a.example", "ssl-client-cert": "garbage" }, 400, "certificate-parse-error"],
  ])("answers %s on the external port with %i %s", async (_what, extra: Record<string, string>, status, label) => {
    const response = await ingress(extra);
    expect(response.status).toBe(status);
    expect(json(response)["label"]).toBe(label);
  });

  // Ours: wire-server's external server also serves /i/status; ours serves nothing internal there.
  it("serves no /i/status on the external port", async () => {
    expect((await ingress({}, "/i/status")).status).toBe(404);
  });
});

// Row "Wire-Origin-IP": services/federator/src/Federator/ExternalServer.hs (tryGetOriginIp: the first
// X-Forwarded-For entry that parses). Ours takes the entry nginx appended (the last): the ones before
// it come from the client and could name any address.
describe("Wire-Origin-IP", () => {
  it("names the address nginx saw, not one the remote put first in X-Forwarded-For", async () => {
    const before = n.components.brig.requests.length;
    const response = await http1(`http://${n.ip}:${n.externalPort}/federation/brig/get-user`, {
      body: "{}",
      headers: { "wire-origin-domain": "cn.example", "ssl-client-cert": nginxEscape(leaves["cn"]?.certificatePem ?? ""), "x-forwarded-for": "198.51.100.1, 192.0.2.7" },
    });
    expect(response.status).toBe(200);
    expect(n.components.brig.requests[before]?.headers["wire-origin-ip"]).toBe("192.0.2.7");
  });
});

// Row "Service name": charts/wire-server/templates/{brig,galley,cargohold}/configmap.yaml
// (`federator: {host: federator, port: 8080}`) and charts/federator/templates/service.yaml (ports
// `internal`, `federator-ext`).
describe("the federator Service the operator writes", () => {
  it("is federator:8080 with wire-server's port names", () => {
    const [service] = federatorServices(federationConfig(), (name) => ({ name, namespace: "wire" }));
    expect(service?.metadata.name).toBe("federator");
    expect(service?.["spec"]).toMatchObject({ ports: [{ name: "internal", port: 8080 }, { name: "federator-ext", port: 8081 }] });
  });
});
