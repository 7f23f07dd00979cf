import fc from "fast-check";
import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, type IssuedCertificate } from "../lib/certs/issue.ts";
import { CertificateHeaderCache, certificateFromTlsSession, parseCertificateHeader, parseClientCertificateHeader, parseTraefikCertificateHeader, urlUnescape } from "./client-certificate.ts";
import { federatorCertificate, nginxEscape, testCa } from "./testing/pki.ts";

let leaf: IssuedCertificate;
beforeAll(async () => {
  leaf = await federatorCertificate(await testCa(), "federator.a.example", "*.a.example");
});

describe("X-SSL-Certificate", () => {
  it("yields the DNS names of an nginx-escaped certificate", () => {
    const parsed = parseCertificateHeader(nginxEscape(leaf.certificatePem));
    expect(parsed.ok && parsed.certificate.dnsNames).toEqual(["federator.a.example", "*.a.example"]);
  });

  // services/federator/src/Federator/Validation.hs validateDomainName (x509-validation: the CN only
  // without DNS subjectAltNames), unit test validateDomainCertCN.
  it("names a certificate without DNS subjectAltNames by its subject CN, and one with them by those alone", async () => {
    const ca = await testCa();
    const cnOnly = await issueCertificate({ ca, dnsNames: [], commonName: "federator.cn.example", validityDays: 1 });
    const both = await issueCertificate({ ca, dnsNames: ["federator.san.example"], commonName: "federator.cn.example", validityDays: 1 });
    const names = (pem: string) => {
      const parsed = parseCertificateHeader(nginxEscape(pem));
      return parsed.ok ? parsed.certificate.dnsNames : [];
    };
    expect(names(cnOnly.certificatePem)).toEqual(["federator.cn.example"]);
    expect(names(both.certificatePem)).toEqual(["federator.san.example"]);
  });

  it("accepts `+` for spaces in the PEM armour and keeps `+` in base64", () => {
    const plus = encodeURIComponent(leaf.certificatePem).replace(/%20/g, "+");
    const parsed = parseCertificateHeader(plus);
    expect(parsed.ok && parsed.certificate.dnsNames).toEqual(["federator.a.example", "*.a.example"]);
  });

  it.each([
    [undefined, "NoClientCertificate"],
    ["", "NoClientCertificate"],
    ["garbage", "CertificateParseError"],
    ["%E0%A4%A", "CertificateParseError"],
    [encodeURIComponent("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "CertificateParseError"],
  ])("refuses %j with %s", (value, kind) => {
    const parsed = parseCertificateHeader(value);
    expect(parsed.ok ? "accepted" : parsed.error.kind).toBe(kind);
  });

  it("refuses a chain: exactly one certificate is expected", () => {
    const parsed = parseCertificateHeader(nginxEscape(leaf.chainPem));
    expect(parsed).toEqual({ ok: false, error: { kind: "CertificateParseError", reason: "found multiple certificates" } });
  });

  it("never throws and only accepts real certificates (property)", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = parseCertificateHeader(value);
        expect(parsed.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it("survives corrupted certificates without throwing (property)", () => {
    const escaped = nginxEscape(leaf.certificatePem);
    fc.assert(
      fc.property(fc.nat(escaped.length - 1), fc.string({ minLength: 1, maxLength: 1 }), (index, replacement) => {
        const corrupted = escaped.slice(0, index) + replacement + escaped.slice(index + 1);
        const parsed = parseCertificateHeader(corrupted);
        if (parsed.ok) expect(Array.isArray(parsed.certificate.dnsNames)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("undoes any percent-encoding (property)", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(urlUnescape(encodeURIComponent(text))?.replace(/-----(BEGIN|END) /g, "")).toBe(text.replace(/-----(BEGIN|END)[ +]/g, ""));
      }),
    );
  });

  it("caches parse results per header value", () => {
    const cache = new CertificateHeaderCache(2);
    const value = nginxEscape(leaf.certificatePem);
    expect(cache.parse("ssl-client-cert", value)).toBe(cache.parse("ssl-client-cert", value));
  });

  it("never answers one header's format from another's cache entry", () => {
    const cache = new CertificateHeaderCache(4);
    const value = nginxEscape(leaf.certificatePem);
    expect(cache.parse("ssl-client-cert", value).ok).toBe(true);
    expect(cache.parse("X-Forwarded-Tls-Client-Cert", value)).toMatchObject({ ok: false, error: { kind: "CertificateParseError" } });
  });
});

/** What Traefik's passTLSClientCert (pem: true) writes: each certificate's PEM body without armour or newlines, joined by commas. */
const traefikHeader = (pems: readonly string[]) => pems.map((pem) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\n/g, "")).join(",");

describe("X-Forwarded-Tls-Client-Cert (Traefik)", () => {
  it("reads the leaf, the first of the chain", async () => {
    const other = await federatorCertificate(await testCa(), "federator.other.example");
    const parsed = parseClientCertificateHeader("X-Forwarded-Tls-Client-Cert", traefikHeader([leaf.certificatePem, other.certificatePem]));
    expect(parsed.ok && parsed.certificate.dnsNames).toEqual(["federator.a.example", "*.a.example"]);
  });

  it("is no-client-certificate when absent, and a parse error when not base64 DER or repeated", () => {
    expect(parseTraefikCertificateHeader(undefined)).toEqual({ ok: false, error: { kind: "NoClientCertificate" } });
    expect(parseTraefikCertificateHeader("not%20base64")).toMatchObject({ ok: false, error: { kind: "CertificateParseError" } });
    expect(parseTraefikCertificateHeader("AAAA")).toMatchObject({ ok: false, error: { kind: "CertificateParseError" } });
    expect(parseTraefikCertificateHeader(["a", "b"])).toMatchObject({ ok: false, error: { kind: "CertificateParseError", reason: "more than one X-Forwarded-Tls-Client-Cert header" } });
  });
});

describe("TLS session certificate", () => {
  it("reads the names of the peer certificate, and no certificate is no-client-certificate", () => {
    const parsed = certificateFromTlsSession(new X509Certificate(leaf.certificatePem));
    expect(parsed.ok && parsed.certificate.dnsNames).toEqual(["federator.a.example", "*.a.example"]);
    expect(certificateFromTlsSession(undefined)).toEqual({ ok: false, error: { kind: "NoClientCertificate" } });
  });
});
