import { describe, expect, it } from "vitest";
import { checkChain } from "./chain.ts";
import { extendedKeyUsages, subjectAltNames } from "./extensions.ts";
import { createCertificateAuthority, createIntermediateAuthority, issueCertificate, type CertificateAuthority } from "./issue.ts";
import { parseCertificateBundle, type ParsedCertificate } from "./pem.ts";
import { checkServingCertificate, type ServingCertificateInput } from "./serving-certificate.ts";

const DOMAIN = "federator.a.example";
const DAY = 86_400_000;
const now = new Date();

const root = await createCertificateAuthority({ commonName: "A Root CA", validityDays: 3650 });
const intermediate = await createIntermediateAuthority({ ca: root, commonName: "A Issuing CA", validityDays: 365 });
const leaf = await issueCertificate({ ca: intermediate, dnsNames: [DOMAIN], validityDays: 90 });

const certs = (pem: string): ParsedCertificate[] => {
  const parsed = parseCertificateBundle(pem);
  if (!parsed.ok) throw new Error(parsed.problem.message);
  return [...parsed.certificates];
};

const input = (overrides: Partial<ServingCertificateInput> = {}): ServingCertificateInput => ({
  certificatePem: leaf.chainPem,
  privateKeyPem: leaf.privateKeyPem,
  caPem: root.certificatePem,
  infraDomain: DOMAIN,
  now,
  ...overrides,
});

async function leafFrom(ca: CertificateAuthority, options: Partial<Parameters<typeof issueCertificate>[0]> = {}) {
  return issueCertificate({ ca, dnsNames: [DOMAIN], validityDays: 90, ...options });
}

describe("parseCertificateBundle", () => {
  it("reads leaf, intermediate and root with subject, issuer, fingerprint, validity, SANs and EKU", () => {
    const [l, i, r] = certs(leaf.chainPem + root.certificatePem);
    expect([l?.subject, i?.subject, r?.subject]).toEqual([`CN=${DOMAIN}`, "CN=A Issuing CA", "CN=A Root CA"]);
    expect(l?.issuer).toBe("CN=A Issuing CA");
    expect([l?.isCA, i?.isCA, r?.isCA]).toEqual([false, true, true]);
    expect(l?.sha256Fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(l!.notAfter.getTime() - l!.notBefore.getTime()).toBe(90 * DAY);
    expect(subjectAltNames(l!)).toEqual({ dns: [DOMAIN], ip: [] });
    expect(extendedKeyUsages(l!)).toEqual(["serverAuth", "clientAuth"]);
    expect(extendedKeyUsages(r!)).toBeUndefined();
  });

  it.each([
    ["empty input", "  \n", "Empty", /empty/],
    ["DER bytes", Buffer.from(certs(root.certificatePem)[0]!.x509.raw).toString("latin1"), "NotPem", /binary \(DER\?\)/],
    ["text without PEM", "hello", "NotPem", /no PEM block/],
    ["a truncated PEM block", root.certificatePem.slice(0, 200), "Truncated", /no matching END/],
    ["a second block cut off", root.certificatePem + root.certificatePem.slice(0, 120), "Truncated", /block 2 has no END/],
    ["a private key", leaf.privateKeyPem, "NotACertificate", /PRIVATE KEY, not a CERTIFICATE/],
    ["base64 garbage", "-----BEGIN CERTIFICATE-----\nTUlJQm9uZV9ub3RfYV9jZXJ0\n-----END CERTIFICATE-----\n", "Unparsable", /certificate 1 cannot be parsed/],
  ])("refuses %s with reason %s", (_name, text, reason, message) => {
    const parsed = parseCertificateBundle(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem.reason).toBe(reason);
      expect(parsed.problem.message).toMatch(message);
    }
  });
});

describe("checkChain", () => {
  it("walks leaf → intermediate → root from the bundle, whatever the order in tls.crt", () => {
    const result = checkChain(certs(leaf.certificatePem + root.certificatePem + intermediate.certificatePem), { bundle: [], now });
    expect(result.ok && result.chain.map((c) => c.subject)).toEqual([`CN=${DOMAIN}`, "CN=A Issuing CA", "CN=A Root CA"]);
    expect(result.ok && result.anchor?.subject).toBe("CN=A Root CA");
  });

  it("accepts a chain ending in an intermediate when the Secret names no root", () => {
    const result = checkChain(certs(leaf.chainPem), { bundle: [], now });
    expect(result.ok && result.anchor).toBeUndefined();
  });

  it("names the missing intermediate when only the leaf is sent", () => {
    const result = checkChain(certs(leaf.certificatePem), { bundle: certs(root.certificatePem), now });
    expect(result).toMatchObject({ ok: false, problem: { reason: "MissingIssuer", issuer: "CN=A Issuing CA" } });
  });

  it("says an intermediate found only in ca.crt belongs in tls.crt", () => {
    const result = checkChain(certs(leaf.certificatePem), { bundle: certs(intermediate.certificatePem + root.certificatePem), now });
    expect(result).toMatchObject({ ok: false, problem: { reason: "IntermediateNotInChain", issuer: "CN=A Issuing CA" } });
  });

  it("refuses a same-named issuer with a different key", async () => {
    const impostor = await createIntermediateAuthority({ ca: root, commonName: "A Issuing CA", validityDays: 365 });
    const result = checkChain(certs(leaf.certificatePem + impostor.certificatePem), { bundle: [], now });
    expect(result.ok).toBe(false);
    expect(!result.ok && ["BadSignature", "MissingIssuer"]).toContain(!result.ok && result.problem.reason);
  });

  it("refuses an expired intermediate", async () => {
    const old = await createIntermediateAuthority({ ca: root, commonName: "Old CA", validityDays: 10, notBefore: new Date(now.getTime() - 20 * DAY) });
    const l = await issueCertificate({ ca: old, dnsNames: [DOMAIN], validityDays: 5, notBefore: new Date(now.getTime() - 1 * DAY) });
    expect(checkChain(certs(l.chainPem), { bundle: [], now })).toMatchObject({ ok: false, problem: { reason: "InvalidIntermediate", message: expect.stringMatching(/"CN=Old CA" expired/) } });
  });
});

describe("checkServingCertificate", () => {
  it("accepts leaf + intermediate with the root in ca.crt", () => {
    const result = checkServingCertificate(input());
    expect(result.ok).toBe(true);
    expect(result.ok && result.notAfter.toISOString()).toBe(certs(leaf.certificatePem)[0]!.notAfter.toISOString());
  });

  it("accepts a wildcard that covers the infra domain", async () => {
    const wildcard = await leafFrom(intermediate, { dnsNames: ["*.a.example"] });
    expect(checkServingCertificate(input({ certificatePem: wildcard.chainPem, privateKeyPem: wildcard.privateKeyPem })).ok).toBe(true);
  });

  const cases: [string, () => Promise<Partial<ServingCertificateInput>>, string, RegExp][] = [
    ["garbage in tls.crt", async () => ({ certificatePem: "not a certificate" }), "InvalidCertificate", /^tls\.crt: no PEM block/],
    ["garbage in ca.crt", async () => ({ caPem: "-----BEGIN CERTIFICATE-----\nAAAA" }), "InvalidCA", /^ca\.crt: a PEM block has a BEGIN line/],
    ["an unreadable key", async () => ({ privateKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }), "InvalidKey", /not a readable PEM private key/],
    ["the key of another certificate", async () => ({ privateKeyPem: (await leafFrom(intermediate)).privateKeyPem }), "KeyMismatch", /does not belong to the certificate "CN=federator\.a\.example"/],
    [
      "an expired certificate",
      async () => {
        const l = await leafFrom(intermediate, { notBefore: new Date(now.getTime() - 10 * DAY), validityDays: 2 });
        return { certificatePem: l.chainPem, privateKeyPem: l.privateKeyPem };
      },
      "Expired",
      /expired on/,
    ],
    [
      "a certificate that is not valid yet",
      async () => {
        const l = await leafFrom(intermediate, { notBefore: new Date(now.getTime() + 2 * DAY) });
        return { certificatePem: l.chainPem, privateKeyPem: l.privateKeyPem };
      },
      "NotYetValid",
      /is not valid before/,
    ],
    [
      "a SAN for another name",
      async () => {
        const l = await leafFrom(intermediate, { dnsNames: ["federator.b.example", "b.example"] });
        return { certificatePem: l.chainPem, privateKeyPem: l.privateKeyPem };
      },
      "NameMismatch",
      /DNS names federator\.b\.example, b\.example, none covers the infra domain federator\.a\.example/,
    ],
    [
      "serverAuth only",
      async () => {
        const l = await leafFrom(intermediate, { clientAuth: false });
        return { certificatePem: l.chainPem, privateKeyPem: l.privateKeyPem };
      },
      "MissingExtendedKeyUsage",
      /extended key usage serverAuth, missing clientAuth/,
    ],
    [
      "no extended key usage at all",
      async () => {
        const l = await leafFrom(intermediate, { clientAuth: false, serverAuth: false });
        return { certificatePem: l.chainPem, privateKeyPem: l.privateKeyPem };
      },
      "MissingExtendedKeyUsage",
      /no extended key usage extension, missing serverAuth and clientAuth/,
    ],
    ["the leaf without its intermediate", async () => ({ certificatePem: leaf.certificatePem }), "IncompleteChain", /the issuer "CN=A Issuing CA" of "CN=federator\.a\.example" is missing/],
  ];

  it.each(cases)("refuses %s with reason %s", async (_name, overrides, reason, message) => {
    const result = checkServingCertificate(input(await overrides()));
    expect(result).toMatchObject({ ok: false, reason });
    expect(!result.ok && result.message).toMatch(message);
  });

  it("never puts key material in a message", async () => {
    const other = await leafFrom(intermediate);
    for (const privateKeyPem of [other.privateKeyPem, other.privateKeyPem.slice(0, 100)]) {
      const result = checkServingCertificate(input({ privateKeyPem }));
      expect(!result.ok && result.message).not.toMatch(/PRIVATE KEY|MII|MIG/);
      const body = privateKeyPem.split("\n")[1]!.slice(0, 20);
      expect(!result.ok && result.message).not.toContain(body);
    }
  });
});
