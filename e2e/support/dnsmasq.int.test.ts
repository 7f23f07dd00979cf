import { afterAll, describe, expect, it } from "vitest";
import { Discovery } from "../../federator/discovery.ts";
import { startDnsmasq, type Dnsmasq } from "./dnsmasq.ts";

let dns: Dnsmasq | undefined;
afterAll(async () => {
  await dns?.stop();
});

const discovery = (server: Dnsmasq) => new Discovery({ server: { host: server.host, port: server.port }, timeoutMs: 300, attempts: 1 });

describe("dnsmasq test DNS server", () => {
  it("serves the given SRV and A records with the given TTL, NXDOMAIN for other names of its domains", async () => {
    dns = await startDnsmasq({
      records: { srv: [{ name: "_wire-server-federator._tcp.b.example", target: "federator.b.example", port: 8443, priority: 5, weight: 10 }], a: [{ name: "federator.b.example", address: "127.0.0.3" }] },
      ttlSeconds: 30,
    });
    const found = await discovery(dns).discover("b.example");
    expect(found).toEqual({ ok: true, targets: [{ host: "federator.b.example", port: 8443, priority: 5, weight: 10 }] });
    expect(await discovery(dns).address("federator.b.example")).toEqual({ ok: true, address: "127.0.0.3" });
    const missing = await discovery(dns).discover("c.example");
    expect(missing.ok ? "found" : missing.error.kind).toBe("SrvNotAvailable");
  });

  it("replaces its records on the same port", async () => {
    if (dns === undefined) throw new Error("needs the server of the previous test");
    const port = dns.port;
    await dns.setRecords({ srv: [{ name: "_wire-server-federator._tcp.c.example", target: "federator.c.example", port: 443 }] });
    expect(dns.port).toBe(port);
    const c = await discovery(dns).discover("c.example");
    expect(c.ok && c.targets[0]?.host).toBe("federator.c.example");
    const b = await discovery(dns).discover("b.example");
    expect(b.ok).toBe(false);
  });

  it("stops answering once stopped", async () => {
    if (dns === undefined) throw new Error("needs the server of the previous test");
    await dns.stop();
    const result = await discovery(dns).discover("c.example");
    expect(result.ok ? "found" : result.error.kind).toBe("DiscoveryFailure");
  });
});
