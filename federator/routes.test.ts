import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPONENTS, parseDomain, parseExternalRoute, parseInternalRoute, parseOriginDomainHeader } from "./routes.ts";

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join("."));
const component = fc.constantFrom(...COMPONENTS);
const rpc = fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/);

describe("parseInternalRoute", () => {
  it("accepts POST /rpc/:domain/:component/:rpc", () => {
    expect(parseInternalRoute("POST", "/rpc/b.example/brig/get-user")).toEqual({ ok: true, value: { targetDomain: "b.example", component: "brig", rpc: "get-user" } });
  });

  it.each([
    ["GET", "/rpc/b.example/brig/get-user", "InvalidEndpoint"],
    ["POST", "/rpc/b.example/brig/get-user?x=1", "InvalidEndpoint"],
    ["POST", "/rpc/b.example/brig/get-user?", "InvalidEndpoint"],
    ["POST", "/rpc/b.example/brig/get-user/x", "NotFound"],
    ["POST", "/rpc/b.example/brig", "NotFound"],
    ["POST", "/rpc/b.example/brig/get.user", "InvalidRpc"],
    ["POST", "/federation/brig/get-user", "NotFound"],
    ["POST", "/rpc/b.example/spar/get-user", "UnknownComponent"],
    ["POST", "/rpc/b_example/brig/get-user", "DomainParseError"],
    ["POST", "/rpc/%zz/brig/get-user", "NotFound"],
    ["POST", "http://x/rpc/b.example/brig/get-user", "NotFound"],
  ])("refuses %s %s as %s", (method, url, kind) => {
    const parsed = parseInternalRoute(method, url);
    expect(parsed.ok ? "accepted" : parsed.error.kind).toBe(kind);
  });

  // Servant drops one trailing empty path segment before routing.
  it("accepts a trailing slash as Servant does", () => {
    expect(parseInternalRoute("POST", "/rpc/b.example/brig/get-user/").ok).toBe(true);
  });

  it("round-trips every valid route (property)", () => {
    fc.assert(
      fc.property(domain, component, rpc, (d, c, r) => {
        expect(parseInternalRoute("POST", `/rpc/${d}/${c}/${r}`)).toEqual({ ok: true, value: { targetDomain: d, component: c, rpc: r } });
      }),
    );
  });

  it("never throws and never accepts a query string or another method (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (method, url) => {
        const parsed = parseInternalRoute(method, url);
        if (parsed.ok) {
          expect(method).toBe("POST");
          expect(url).not.toContain("?");
          expect(parsed.value.rpc).toMatch(/^[A-Za-z0-9_-]+$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts only the three components (property)", () => {
    fc.assert(
      fc.property(domain, fc.string({ minLength: 1 }).filter((s) => !s.includes("/") && !s.includes("?") && !s.includes("#") && !s.includes("%")), rpc, (d, c, r) => {
        const parsed = parseInternalRoute("POST", `/rpc/${d}/${c}/${r}`);
        expect(parsed.ok).toBe((COMPONENTS as readonly string[]).includes(c));
      }),
    );
  });
});

describe("parseExternalRoute", () => {
  it("accepts POST /federation/:component/:rpc", () => {
    expect(parseExternalRoute("POST", "/federation/galley/on-conversation-updated")).toEqual({ ok: true, value: { component: "galley", rpc: "on-conversation-updated" } });
  });

  it.each([
    ["POST", "/i/status", "NotFound"],
    ["GET", "/i/metrics", "NotFound"],
    ["GET", "/federation/brig/get-user", "InvalidEndpoint"],
    ["POST", "/federation/brig/get-user?a", "InvalidEndpoint"],
    ["POST", "/federation/brig/", "NotFound"],
    ["POST", "/federation/brig/get%20user", "InvalidRpc"],
    ["POST", "/rpc/b.example/brig/get-user", "NotFound"],
  ])("refuses %s %s as %s", (method, url, kind) => {
    const parsed = parseExternalRoute(method, url);
    expect(parsed.ok ? "accepted" : parsed.error.kind).toBe(kind);
  });

  it("never throws on any input (property)", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (m, u) => void parseExternalRoute(m, u)), { numRuns: 2000 });
  });
});

describe("origin domain header", () => {
  it("is required", () => {
    expect(parseOriginDomainHeader(undefined)).toEqual({ ok: false, error: { kind: "NoOriginDomain" } });
  });

  it("is lower-cased and must be a DNS name", () => {
    expect(parseOriginDomainHeader("A.Example")).toEqual({ ok: true, value: "a.example" });
    expect(parseOriginDomainHeader("a..example").ok).toBe(false);
    expect(parseOriginDomainHeader(["a.example", "b.example"]).ok).toBe(false);
  });

  it("accepts exactly the valid domains, whatever the case (property)", () => {
    fc.assert(
      fc.property(domain, (d) => {
        expect(parseDomain(d.toUpperCase())).toEqual({ ok: true, value: d });
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseDomain(text);
        if (parsed.ok) expect(parsed.value).toMatch(/^[a-z0-9.-]+$/);
      }),
      { numRuns: 2000 },
    );
  });
});
