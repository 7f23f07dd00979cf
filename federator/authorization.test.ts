import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FederatorRemote } from "../lib/api/federator-config.ts";
import { X509Certificate } from "node:crypto";
import { createCertificateAuthority, issueCertificate } from "../lib/certs/issue.ts";
import { canFederateWith, certificateMatchesAnyHost, certificateNameMatches, issuedByRemoteCA } from "./authorization.ts";

const remote = (domain: string): FederatorRemote => ({ domain, infraDomain: null, searchPolicy: "no_search", restriction: { type: "AllowAll" }, cas: [] });

describe("canFederateWith", () => {
  it.each([
    ["AllowNone", ["b.example"], "b.example", false],
    ["AllowAll", [], "z.example", true],
    ["AllowList", ["b.example"], "b.example", true],
    ["AllowList", ["b.example"], "c.example", false],
  ] as const)("%s with %j decides %s → %s", (strategy, remotes, domain, allowed) => {
    const decision = canFederateWith({ strategy, remotes: remotes.map(remote) }, domain);
    expect(decision.ok).toBe(allowed);
    if (!decision.ok) expect(decision.error).toEqual({ kind: "FederationDenied", domain });
  });
});

describe("certificateNameMatches (RFC 6125)", () => {
  it.each([
    ["federator.b.example", "federator.b.example", true],
    ["Federator.B.Example", "federator.b.example", true],
    ["federator.b.example.", "federator.b.example", true],
    ["federator.b.example", "federator.b.example.", true],
    ["*.b.example", "federator.b.example", true],
    ["*.b.example", "b.example", false],
    ["*.b.example", "x.federator.b.example", false],
    ["*.example", "b.example", false],
    ["f*.b.example", "federator.b.example", false],
    ["federator.*.example", "federator.b.example", false],
    ["*", "example", false],
    ["", "example", false],
    ["federator.c.example", "federator.b.example", false],
    ["federator..b.example", "federator..b.example", false],
  ])("%s vs %s → %s", (pattern, host, expected) => {
    expect(certificateNameMatches(pattern, host)).toBe(expected);
  });

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
  const host = fc.array(label, { minLength: 2, maxLength: 5 }).map((l) => l.join("."));

  it("matches every host against itself, in any case, with or without a trailing dot (property)", () => {
    fc.assert(
      fc.property(host, fc.boolean(), (h, dot) => {
        expect(certificateNameMatches(h.toUpperCase() + (dot ? "." : ""), h)).toBe(true);
      }),
    );
  });

  it("a wildcard covers exactly one left-most label (property)", () => {
    fc.assert(
      fc.property(label, fc.array(label, { minLength: 2, maxLength: 4 }), label, (first, rest, extra) => {
        const pattern = `*.${rest.join(".")}`;
        expect(certificateNameMatches(pattern, `${first}.${rest.join(".")}`)).toBe(true);
        expect(certificateNameMatches(pattern, rest.join("."))).toBe(false);
        expect(certificateNameMatches(pattern, `${extra}.${first}.${rest.join(".")}`)).toBe(false);
      }),
    );
  });

  it("never throws (property)", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (p, h) => void certificateNameMatches(p, h)), { numRuns: 2000 });
  });
});

describe("certificateMatchesAnyHost", () => {
  it("passes when one certificate name matches one discovered host", () => {
    expect(certificateMatchesAnyHost(["other.example", "*.b.example"], ["federator.c.example", "federator.b.example."])).toEqual({ ok: true });
  });

  it("fails with authentication-failure naming both sides", () => {
    expect(certificateMatchesAnyHost(["federator.c.example"], ["federator.b.example."])).toEqual({
      ok: false,
      error: { kind: "AuthenticationFailure", hostnames: ["federator.b.example"], certificateNames: ["federator.c.example"] },
    });
  });
});

describe("issuedByRemoteCA", () => {
  it("accepts only a certificate signed by one of the remote's own CAs", async () => {
    const [partnerCA, otherPeerCA] = await Promise.all([createCertificateAuthority({ commonName: "Partner CA", validityDays: 5 }), createCertificateAuthority({ commonName: "Other peer CA", validityDays: 5 })]);
    const partner = new X509Certificate(partnerCA.certificatePem);
    const other = new X509Certificate(otherPeerCA.certificatePem);
    const bundle = new Map([[partner.fingerprint256, partner], [other.fingerprint256, other]]);
    const genuine = new X509Certificate((await issueCertificate({ ca: partnerCA, dnsNames: ["federator.partner.example"], validityDays: 5 })).certificatePem);
    const forged = new X509Certificate((await issueCertificate({ ca: otherPeerCA, dnsNames: ["federator.partner.example"], validityDays: 5 })).certificatePem);
    expect(issuedByRemoteCA(genuine, "partner.example", [partner.fingerprint256], bundle)).toEqual({ ok: true });
    expect(issuedByRemoteCA(forged, "partner.example", [partner.fingerprint256], bundle)).toMatchObject({ ok: false, error: { kind: "NotIssuedByRemoteCA", domain: "partner.example" } });
    // A remote without CAs of its own (trusted through shared roots) is not bound.
    expect(issuedByRemoteCA(forged, "partner.example", [], bundle)).toEqual({ ok: true });
    // A fingerprint whose CA left the bundle binds to nothing.
    expect(issuedByRemoteCA(genuine, "partner.example", [partner.fingerprint256], new Map([[other.fingerprint256, other]]))).toMatchObject({ ok: false });
  });
});
