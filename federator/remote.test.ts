import { describe, expect, it } from "vitest";
import { originIp } from "./external-server.ts";
import { forwardedRequestHeaders, returnedResponseHeaders } from "./remote.ts";

describe("headers on egress", () => {
  it("passes only allow-listed caller headers on, sets Wire-Origin-Domain itself and drops hop-by-hop, spoofable and credential ones", () => {
    const out = forwardedRequestHeaders(
      {
        "content-type": "application/json",
        "request-id": "r-1",
        "x-wire-api-version": "v3",
        "wire-origin-domain": "spoofed.example",
        "x-ssl-certificate": "spoofed",
        connection: "keep-alive",
        "transfer-encoding": "chunked",
        host: "federator:8080",
        cookie: "zuid=secret",
        authorization: "Bearer secret",
        "z-user": "6e2b1d7c-0000-0000-0000-000000000001",
        "x-custom": "anything",
      },
      "a.example",
    );
    expect(out).toEqual({ "content-type": "application/json", "request-id": "r-1", "wire-origin-request-id": "r-1", "x-wire-api-version": "v3", "wire-origin-domain": "a.example" });
  });

  it("gives a request without a trace id one, sent as Wire-Origin-Request-Id and Request-Id", () => {
    const out = forwardedRequestHeaders({}, "a.example");
    expect(out["request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(out["wire-origin-request-id"]).toBe(out["request-id"]);
  });

  // Federator.Remote (interpretRemote): the request id the caller's Wire-Origin-Request-Id set goes on as Request-Id.
  it("carries wire-server's Wire-Origin-Request-Id on as Request-Id", () => {
    const out = forwardedRequestHeaders({ "wire-origin-request-id": "rid-7", "request-id": "other" }, "a.example");
    expect(out["request-id"]).toBe("rid-7");
    expect(out["wire-origin-request-id"]).toBe("rid-7");
  });

  it("returns only the remote's Content-Type and Content-Length (never Set-Cookie)", () => {
    expect(returnedResponseHeaders({ ":status": "200", "content-type": "application/json", "content-length": "2", "set-cookie": ["zuid=x"], "x-other": "y" })).toEqual({ "content-type": "application/json", "content-length": "2" });
  });
});

describe("origin IP", () => {
  it.each([
    ["header", "192.0.2.7", undefined, "192.0.2.7"],
    // The client may prepend anything; nginx appends the address it saw last.
    ["header", " 203.0.113.9 , 192.0.2.7:4431", undefined, "192.0.2.7"],
    ["header", "spoofed-by-client, 192.0.2.7", undefined, "192.0.2.7"],
    ["header", "[2001:db8::1]:443", undefined, "2001:db8::1"],
    ["header", "198.51.100.2, not-an-ip", undefined, undefined],
    ["header", undefined, "127.0.0.1", undefined],
    ["tls", "192.0.2.7", "::ffff:127.0.0.2", "127.0.0.2"],
  ] as const)("from %s with X-Forwarded-For %j and peer %j is %j", (source, forwardedFor, peer, expected) => {
    expect(originIp(source, forwardedFor, peer)).toBe(expected);
  });
});
