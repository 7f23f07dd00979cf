import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { interpret, orderTargets, parseHostPort, srvName } from "./discovery.ts";

function answer(rcode: string, answers: dnsPacket.Answer[], authorities: dnsPacket.Answer[] = []): dnsPacket.DecodedPacket {
  const rcodes: Record<string, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
  const encoded = dnsPacket.encode({ type: "response", id: 1, flags: rcodes[rcode] ?? 0, questions: [{ type: "SRV", name: "q" }], answers, authorities });
  return dnsPacket.decode(encoded);
}

const srv = (target: string, port: number, priority: number, weight: number, ttl = 60): dnsPacket.Answer => ({ type: "SRV", name: "q", ttl, data: { target, port, priority, weight } });

describe("discovery answers", () => {
  it("names the SRV record wire-server uses", () => {
    expect(srvName("b.example")).toBe("_wire-server-federator._tcp.b.example");
  });

  it("orders targets by priority, then weight, and drops the '.' target", () => {
    const ordered = orderTargets([srv("c.example.", 1, 20, 0), srv("a.example.", 2, 10, 5), srv("b.example", 3, 10, 50), srv(".", 4, 0, 0)]);
    expect(ordered.map((t) => t.host)).toEqual(["b.example", "a.example", "c.example"]);
  });

  it("uses the smallest TTL of the answers", () => {
    const lookup = interpret(answer("NOERROR", [srv("a", 1, 0, 0, 30), srv("b", 1, 0, 0, 7)]), "SRV", 5);
    expect(lookup.ok && lookup.ttl).toBe(7);
  });

  it.each([
    ["NXDOMAIN", "NotFound"],
    ["NOERROR", "NotFound"],
    ["SERVFAIL", "Error"],
    ["REFUSED", "Error"],
  ])("maps %s without records to %s", (rcode, reason) => {
    const lookup = interpret(answer(rcode, []), "SRV", 5);
    expect(lookup.ok ? "ok" : lookup.reason).toBe(reason);
  });

  it("remembers a negative answer for the SOA minimum", () => {
    const soa: dnsPacket.Answer = { type: "SOA", name: "example", ttl: 300, data: { mname: "ns", rname: "h", minimum: 12 } };
    const lookup = interpret(answer("NXDOMAIN", [], [soa]), "SRV", 5);
    expect(lookup.ttl).toBe(12);
  });

  it("parses host:port and [v6]:port", () => {
    expect(parseHostPort("127.0.0.1:5353")).toEqual({ host: "127.0.0.1", port: 5353 });
    expect(parseHostPort("[::1]:53")).toEqual({ host: "::1", port: 53 });
    expect(() => parseHostPort("nope")).toThrow(/host:port/);
  });
});
