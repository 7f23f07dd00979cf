import { describe, expect, it } from "vitest";
import { CATALOGUE, errorBody, statusOf, type FederatorError } from "./errors.ts";

describe("error catalogue", () => {
  it.each([
    [{ kind: "FederationDenied", domain: "c.example" }, 400, "federation-denied"],
    [{ kind: "NoClientCertificate" }, 400, "no-client-certificate"],
    [{ kind: "CertificateParseError", reason: "no certificate found" }, 400, "certificate-parse-error"],
    [{ kind: "DomainParseError", domain: "x y" }, 400, "domain-parse-error"],
    [{ kind: "AuthenticationFailure", hostnames: ["f.b.example"], certificateNames: ["f.c.example"] }, 403, "authentication-failure"],
    [{ kind: "InvalidEndpoint" }, 403, "invalid-endpoint"],
    [{ kind: "UnknownComponent", component: "spar" }, 400, "unknown-component"],
    [{ kind: "NotFound" }, 404, "not-found"],
    [{ kind: "InvalidRpc", rpc: "a.b" }, 400, "invalid-endpoint"],
    [{ kind: "SrvNotAvailable", srvName: "_wire-server-federator._tcp.x.example" }, 422, "invalid-domain"],
    [{ kind: "DiscoveryFailure", srvName: "_wire-server-federator._tcp.x.example", detail: "SERVFAIL" }, 400, "discovery-failure"],
    [{ kind: "RemoteTlsError", target: "f.b.example", path: "/federation/brig/x", detail: "bad certificate" }, 525, "federation-tls-error"],
    [{ kind: "RemoteConnectionRefused", target: "f.b.example", path: "/federation/brig/x", detail: "ECONNREFUSED" }, 521, "federation-connection-refused"],
    [{ kind: "RemoteErrorResponse", target: "f.b.example", path: "/federation/brig/x", status: 500, body: Buffer.from("boom") }, 533, "federation-remote-error"],
  ] as [FederatorError, number, string][])("%j → %i %s", (error, status, label) => {
    expect(statusOf(error)).toBe(status);
    expect(errorBody(error)).toMatchObject({ code: status, label });
  });

  it("uses wire-server's messages", () => {
    expect(errorBody({ kind: "FederationDenied", domain: "c.example" }).message).toBe("origin domain [c.example] not in the federation allow list");
    expect(errorBody({ kind: "SrvNotAvailable", srvName: "_wire-server-federator._tcp.x.example" }).message).toBe("srv record not found: _wire-server-federator._tcp.x.example");
    expect(errorBody({ kind: "NoClientCertificate" }).message).toBe("no client certificate provided");
  });

  it("carries the federation data of remote failures and the remote's error as inner", () => {
    const body = errorBody({ kind: "RemoteErrorResponse", target: "f.b.example", path: "/federation/brig/x", status: 404, body: Buffer.from('{"code":404,"label":"not-found","message":"gone"}') });
    expect(body).toEqual({
      code: 533,
      label: "federation-remote-error",
      message: "A remote federator failed with status code: 404",
      data: { type: "federation", domain: "f.b.example", path: "/federation/brig/x" },
      inner: { code: 404, label: "not-found", message: "gone" },
    });
  });

  it("wraps a non-JSON remote body as unknown-error", () => {
    const body = errorBody({ kind: "RemoteErrorResponse", target: "f.b.example", path: "/p", status: 502, body: Buffer.from("Bad Gateway") });
    expect(body.inner).toEqual({ code: 502, label: "unknown-error", message: "Bad Gateway" });
  });

  it("has an entry for every kind", () => {
    for (const entry of Object.values(CATALOGUE)) expect(entry.label).toMatch(/^[a-z0-9-]+$/);
  });
});
