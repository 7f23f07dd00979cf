import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FederatorRemote } from "../lib/api/federator-config.ts";
import { X509Certificate } from "node:crypto";
import { createCertificateAuthority, issueCertificate } from "../lib/certs/issue.ts";
import { compactFingerprint } from "../lib/certs/pem.ts";
import { canFederateWith, certificateMatchesAnyHost, certificateNameMatches, issuedForOrigin, serverChainFitsRemote, stillIssuedByTrustedCA, type CATrust } from "./authorization.ts";
import { errorBody } from "./errors.ts";

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

describe("issuedForOrigin: CAs and domains bound both ways (issue 15, finding 2)", () => {
  async function setting() {
    const [partnerCA, otherPeerCA, extraCA] = await Promise.all(["Partner CA", "Other peer CA", "Extra CA"].map((commonName) => createCertificateAuthority({ commonName, validityDays: 5 })));
    const x509 = (pem: string) => new X509Certificate(pem);
    const [partner, other, extra] = [partnerCA!, otherPeerCA!, extraCA!].map((ca) => x509(ca.certificatePem)) as [X509Certificate, X509Certificate, X509Certificate];
    const fp = (ca: X509Certificate) => compactFingerprint(ca);
    const config = {
      caFingerprints: [fp(partner), fp(other)],
      remotes: [{ ...remote("partner.example"), cas: [0] }, { ...remote("other.example"), cas: [1] }, remote("plain.example")],
    };
    const trust: CATrust = { bundleCAs: new Map([partner, other, extra].map((ca) => [fp(ca), ca])), unboundCAs: new Map([[extra.subject, [extra]]]), onlyUnboundCAs: false };
    const leaf = async (ca: typeof partnerCA, name: string) => x509((await issueCertificate({ ca: ca!, dnsNames: [name], validityDays: 5 })).certificatePem);
    return { config, trust, partnerCA, otherPeerCA, extraCA, leaf, partner };
  }

  it("accepts a peer with a caBundle only through its own CAs", async () => {
    const { config, trust, partnerCA, otherPeerCA, leaf, partner } = await setting();
    expect(issuedForOrigin(await leaf(partnerCA, "federator.partner.example"), "partner.example", config, trust)).toEqual({ ok: true });
    expect(issuedForOrigin(await leaf(otherPeerCA, "federator.partner.example"), "partner.example", config, trust)).toMatchObject({ ok: false, error: { kind: "NotIssuedByRemoteCA", domain: "partner.example", ownCAs: true, issuerTrustedForOthers: true } });
    // A fingerprint whose CA left the bundle binds to nothing.
    const without = { ...trust, bundleCAs: new Map([...trust.bundleCAs].filter(([, ca]) => ca !== partner)) };
    expect(issuedForOrigin(await leaf(partnerCA, "federator.partner.example"), "partner.example", config, without)).toMatchObject({ ok: false });
  });

  it("refuses another peer's CA vouching for a peer without caBundle, and names that peer", async () => {
    const { config, trust, otherPeerCA, leaf } = await setting();
    const result = issuedForOrigin(await leaf(otherPeerCA, "federator.plain.example"), "plain.example", config, trust);
    expect(result).toMatchObject({ ok: false, error: { kind: "NotIssuedByRemoteCA", ownCAs: false, issuerPeers: ["other.example"] } });
    expect(result.ok ? "" : errorBody(result.error).message).toMatch(/a CA of the FederationPeer for \[other\.example\]: a peer's CA vouches only for that peer/);
  });

  it("refuses a peer's CA vouching for an unlisted origin (AllowAll)", async () => {
    const { config, trust, partnerCA, leaf } = await setting();
    expect(issuedForOrigin(await leaf(partnerCA, "federator.stranger.example"), "stranger.example", config, trust)).toMatchObject({ ok: false, error: { ownCAs: false, issuerPeers: ["partner.example"] } });
  });

  it("accepts origins without caBundle through CAs of no peer (trust.extraCABundle, system store)", async () => {
    const { config, trust, extraCA, leaf } = await setting();
    expect(issuedForOrigin(await leaf(extraCA, "federator.plain.example"), "plain.example", config, trust)).toEqual({ ok: true });
    expect(issuedForOrigin(await leaf(extraCA, "federator.stranger.example"), "stranger.example", config, trust)).toEqual({ ok: true });
  });

  it("refuses an issuer it cannot see (an intermediate the client sent) and says what to add", async () => {
    const { config, trust, leaf } = await setting();
    const unseen = await createCertificateAuthority({ commonName: "Unseen Intermediate", validityDays: 5 });
    const result = issuedForOrigin(await leaf(unseen, "federator.plain.example"), "plain.example", config, trust);
    expect(result).toMatchObject({ ok: false, error: { ownCAs: false, issuerPeers: [] } });
    expect(result.ok ? "" : errorBody(result.error).message).toMatch(/Unseen Intermediate.*neither in trust\.extraCABundle nor in the system CA store.*caBundle of the FederationPeer for plain\.example, or to trust\.extraCABundle/);
  });

  it("lets the TLS layer's chain stand for an unseen issuer while no peer CA is trusted at all", async () => {
    const { trust, leaf, otherPeerCA } = await setting();
    const unseen = await createCertificateAuthority({ commonName: "Unseen Intermediate", validityDays: 5 });
    const noPeerCAs = { caFingerprints: [], remotes: [remote("plain.example")] };
    expect(issuedForOrigin(await leaf(unseen, "federator.plain.example"), "plain.example", noPeerCAs, { ...trust, onlyUnboundCAs: true })).toEqual({ ok: true });
    // A bundle CA that no list names (a new peer's, ahead of the config naming it) vouches for nobody.
    expect(issuedForOrigin(await leaf(otherPeerCA, "federator.plain.example"), "plain.example", noPeerCAs, trust)).toMatchObject({ ok: false });
  });
});

describe("serverChainFitsRemote: egress binding (issue 15, finding 3)", () => {
  const config = {
    caFingerprints: ["own", "other"],
    remotes: [{ ...remote("b.example"), cas: [0] }, { ...remote("c.example"), cas: [1] }, remote("plain.example")],
  };
  it("wants a chain through the remote's own CA when it has one", () => {
    expect(serverChainFitsRemote(new Set(["leaf", "own"]), "b.example", config)).toBeUndefined();
    expect(serverChainFitsRemote(new Set(["leaf", "other"]), "b.example", config)).toMatch(/chains to none of b\.example's CAs/);
  });
  it("wants a chain through no peer's CA for a remote without caBundle", () => {
    expect(serverChainFitsRemote(new Set(["leaf", "public root"]), "plain.example", config)).toBeUndefined();
    expect(serverChainFitsRemote(new Set(["leaf", "other"]), "plain.example", config)).toMatch(/a CA of the FederationPeer for \[c\.example\]/);
  });
});

describe("stillIssuedByTrustedCA", () => {
  it("keeps a session whose issuer is still trusted and drops one whose issuer left or is unseen", async () => {
    const [kept, removed] = await Promise.all(["Kept CA", "Removed CA"].map((commonName) => createCertificateAuthority({ commonName, validityDays: 5 })));
    const keptX = new X509Certificate(kept!.certificatePem);
    const trust: CATrust = { bundleCAs: new Map([["k", keptX]]), unboundCAs: new Map([[keptX.subject, [keptX]]]), onlyUnboundCAs: true };
    const leaf = async (ca: typeof kept) => new X509Certificate((await issueCertificate({ ca: ca!, dnsNames: ["federator.a.example"], validityDays: 5 })).certificatePem);
    expect(stillIssuedByTrustedCA(await leaf(kept), trust)).toBe(true);
    expect(stillIssuedByTrustedCA(await leaf(removed), trust)).toBe(false);
  });
});
