import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsmasq, type Dnsmasq } from "../e2e/support/dnsmasq.ts";
import { Discovery } from "./discovery.ts";

let dns: Dnsmasq;
beforeAll(async () => {
  dns = await startDnsmasq({ records: { srv: [{ name: "_wire-server-federator._tcp.b.example", target: "federator.b.example", port: 443 }] }, ttlSeconds: 30, localDomains: ["example"] });
});
afterAll(async () => {
  await dns?.stop();
});

describe("discovery against a real DNS server", () => {
  it("answers from its cache until the record's TTL has passed", async () => {
    let now = 1_000_000;
    const discovery = new Discovery({ server: { host: dns.host, port: dns.port }, now: () => now });
    expect((await discovery.discover("b.example")).ok).toBe(true);
    await dns.setRecords({});
    now += 29_000;
    expect((await discovery.discover("b.example")).ok).toBe(true);
    now += 2_000;
    const expired = await discovery.discover("b.example");
    expect(expired.ok ? "found" : expired.error.kind).toBe("SrvNotAvailable");
  });

  it("does not cache answers with TTL 0", async () => {
    await dns.setRecords({ srv: [{ name: "_wire-server-federator._tcp.c.example", target: "federator.c.example", port: 443 }] });
    const zero = await startDnsmasq({ records: { srv: [{ name: "_wire-server-federator._tcp.c.example", target: "federator.c.example", port: 443 }] }, ttlSeconds: 0 });
    try {
      const discovery = new Discovery({ server: { host: zero.host, port: zero.port } });
      expect((await discovery.discover("c.example")).ok).toBe(true);
      await zero.setRecords({});
      expect((await discovery.discover("c.example")).ok).toBe(false);
    } finally {
      await zero.stop();
    }
  });

  it("bounds the cache by evicting the oldest entries", async () => {
    const srv = (domain: string) => ({ name: `_wire-server-federator._tcp.${domain}`, target: `federator.${domain}`, port: 443 });
    await dns.setRecords({ srv: ["x.example", "y.example", "c.example"].map(srv) });
    const discovery = new Discovery({ server: { host: dns.host, port: dns.port }, maxEntries: 2 });
    for (const domain of ["x.example", "y.example", "c.example"]) expect((await discovery.discover(domain)).ok).toBe(true);
    await dns.setRecords({});
    expect((await discovery.discover("c.example")).ok).toBe(true);
    expect((await discovery.discover("x.example")).ok).toBe(false);
  });
});
