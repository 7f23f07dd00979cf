import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http1, json, metricValue, rpc, waitUntil, type Backend } from "./testing/backends.ts";
import { createIntermediateAuthority, issueCertificate } from "../lib/certs/issue.ts";
import { federatorCertificate, testCa } from "./testing/pki.ts";
import { startWorld, type World } from "./testing/world.ts";

let world: World;
let a: Backend;
let b: Backend;

beforeAll(async () => {
  world = await startWorld();
  ({ a, b } = world);
});
afterAll(async () => {
  await world?.close();
});

async function metrics(backend: Backend): Promise<string> {
  return (await http1(`${backend.internalUrl}/i/metrics`, { method: "GET" })).body.toString();
}

/** Calls A → B from `workers` loops until stopped; counts answers by status. */
function continuousTraffic(workers = 8) {
  let running = true;
  const statuses = new Map<number | string, number>();
  const failures: string[] = [];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const result = await rpc(a, "b.example", "brig", "get-user", '{"id":1}').then(
        (response) => {
          if (response.status !== 200 && failures.length < 5) failures.push(response.body.toString());
          return response.status;
        },
        (error: unknown) => `error: ${String(error)}`,
      );
      statuses.set(result, (statuses.get(result) ?? 0) + 1);
    }
  });
  return {
    statuses,
    failures,
    total: () => [...statuses.values()].reduce((sum, n) => sum + n, 0),
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

describe("hot reload (Files mode, kubelet-style ..data swap)", () => {
  it("enforces B's removal from A's allow list without a restart", async () => {
    expect((await rpc(a, "b.example", "brig", "get-user")).status).toBe(200);
    const good = a.config;
    const swapped = Date.now();
    await a.writeConfig({ ...good, remotes: [] }, { wait: false });
    let denied: Record<string, unknown> | undefined;
    await waitUntil(async () => {
      const response = await rpc(a, "b.example", "brig", "get-user");
      if (response.status === 400) denied = json(response);
      return response.status === 400;
    }, "A denies b.example");
    const elapsed = Date.now() - swapped;
    process.stderr.write(`[federator] allow-list file swap → first denial: ${elapsed} ms\n`);
    expect(denied?.["label"]).toBe("federation-denied");
    expect(elapsed).toBeLessThan(2000);
    await a.writeConfig(good);
    expect((await rpc(a, "b.example", "brig", "get-user")).status).toBe(200);
  });

  it.each([
    ["not YAML", "backendDomain: [unclosed"],
    ["an unknown strategy", "backendDomain: a.example\ninfraDomain: federator.a.example\nstrategy: AllowSome\nservices: {brig: http://x, galley: http://x, cargohold: http://x}\n"],
    ["an invalid remote domain", "backendDomain: a.example\ninfraDomain: federator.a.example\nstrategy: AllowAll\nremotes: [{domain: Not_A_Domain}]\nservices: {brig: http://x, galley: http://x, cargohold: http://x}\n"],
  ])("rejects a config file that is %s, counts it, and keeps serving on the last good one", async (_what, text) => {
    const good = a.config;
    const failuresBefore = metricValue(await metrics(a), "federator_config_reloads_total", { result: "failure", source: "files" });
    const before = a.federator.snapshot();
    a.writeRawConfig(text);
    await waitUntil(async () => metricValue(await metrics(a), "federator_config_reloads_total", { result: "failure", source: "files" }) > failuresBefore, "A counts a failed reload");
    expect(a.federator.snapshot()).toBe(before);
    expect((await rpc(a, "b.example", "brig", "get-user")).status).toBe(200);
    await a.writeConfig({ ...good, remotes: [...(good.remotes ?? [])] });
    expect((await rpc(a, "b.example", "brig", "get-user")).status).toBe(200);
  });

  it("rejects a certificate whose key does not match and keeps the old one", async () => {
    const failuresBefore = metricValue(await metrics(a), "federator_config_reloads_total", { result: "failure", source: "files" });
    const before = a.federator.snapshot().tls.fingerprint;
    const one = await federatorCertificate(world.ca, "federator.a.example");
    const other = await federatorCertificate(world.ca, "federator.a.example");
    a.writeTls({ ...one, privateKeyPem: other.privateKeyPem });
    await waitUntil(async () => metricValue(await metrics(a), "federator_config_reloads_total", { result: "failure", source: "files" }) > failuresBefore, "A counts a failed reload");
    expect(a.federator.snapshot().tls.fingerprint).toBe(before);
    expect((await rpc(a, "b.example", "brig", "get-user")).status).toBe(200);
    a.writeTls(one);
    await waitUntil(() => a.federator.snapshot().tls.fingerprint !== before, "A takes the matching pair");
  });

  it("applies 100 reloads that each drain the pooled sessions under continuous traffic without failing a request", async () => {
    const extra = await testCa("Extra CA");
    const traffic = continuousTraffic();
    await waitUntil(() => traffic.total() >= 20, "traffic flows");
    const started = Date.now();
    for (let reload = 0; reload < 100; reload++) {
      const backend = reload % 2 === 0 ? a : b;
      const before = backend.federator.snapshot().tls.fingerprint;
      backend.writeCa(Math.floor(reload / 2) % 2 === 0 ? [world.ca, extra] : [world.ca]);
      await waitUntil(() => backend.federator.snapshot().tls.fingerprint !== before, `reload ${reload} applies`);
    }
    const elapsed = Date.now() - started;
    const statuses = await traffic.stop();
    process.stderr.write(`[federator] 100 TLS reloads in ${elapsed} ms under load: ${JSON.stringify(Object.fromEntries(statuses))} ${traffic.failures.join(" | ")}\n`);
    expect([...statuses.keys()]).toEqual([200]);
  });

  it("presents its full chain: a certificate from an intermediate CA works with a peer that trusts only the root", async () => {
    const intermediate = await createIntermediateAuthority({ ca: world.ca, commonName: "Federation Intermediate", validityDays: 1 });
    const leaf = await issueCertificate({ ca: intermediate, dnsNames: ["federator.a.example"], validityDays: 1 });
    const before = a.federator.snapshot().tls.fingerprint;
    a.writeTls(leaf);
    await waitUntil(() => a.federator.snapshot().tls.fingerprint !== before, "A uses the intermediate-issued certificate");
    expect((await rpc(a, "b.example", "brig", "get-user")).status).toBe(200);
  });

  it("rotates the CA and both certificates under continuous traffic without failing a request", async () => {
    const oldCa = world.ca;
    const newCa = await testCa("Federation Test CA 2");
    let handshakes = 0;
    b.federator.externalServer.on("secureConnection", () => handshakes++);
    const traffic = continuousTraffic();
    const applied = async (backend: Backend, write: () => void, what: string) => {
      const before = backend.federator.snapshot().tls.fingerprint;
      write();
      await waitUntil(() => backend.federator.snapshot().tls.fingerprint !== before, `${backend.name} applies ${what}`);
      const seen = traffic.total();
      await waitUntil(() => traffic.total() >= seen + 20, "traffic flows on the new material");
    };
    await waitUntil(() => traffic.total() >= 50, "traffic flows");
    // 1. Trust both CAs.  2. New certificates from the new CA.  3. Trust only the new CA.
    for (const backend of [a, b]) await applied(backend, () => backend.writeCa([oldCa, newCa]), "the two-CA bundle");
    for (const backend of [a, b]) {
      const certificate = await federatorCertificate(newCa, `federator.${backend.name}.example`);
      await applied(backend, () => backend.writeTls(certificate), "its new certificate");
    }
    for (const backend of [a, b]) await applied(backend, () => backend.writeCa([newCa]), "the new-CA-only bundle");
    const statuses = await traffic.stop();
    process.stderr.write(`[federator] CA rotation under load: ${JSON.stringify(Object.fromEntries(statuses))}, ${handshakes} new TLS connections to B\n`);
    expect([...statuses.keys()]).toEqual([200]);
    expect(traffic.total()).toBeGreaterThan(100);
    // Every change of A's material drained its pooled session, so new connections were opened.
    expect(handshakes).toBeGreaterThanOrEqual(3);
    // The old CA is no longer trusted: a client with an old-CA certificate cannot connect to B.
    const stale = await federatorCertificate(oldCa, "federator.a.example");
    const { ingressCall } = await import("./testing/backends.ts");
    await expect(ingressCall(b, { certificate: stale, trust: [newCa], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "a.example" } })).rejects.toThrow();
  });
});
