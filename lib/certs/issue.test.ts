import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate } from "./issue.ts";

const dir = mkdtempSync(join(tmpdir(), "issue-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslVerify(caPem: string, leafPem: string, purpose: string): string {
  const ca = join(dir, "ca.pem");
  const leaf = join(dir, "leaf.pem");
  writeFileSync(ca, caPem);
  writeFileSync(leaf, leafPem);
  return execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", ca, leaf], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("issueCertificate", () => {
  it("issues a leaf that openssl verifies against the CA for both server and client use", async () => {
    const ca = await createCertificateAuthority({ commonName: "Test CA", validityDays: 30 });
    const leaf = await issueCertificate({ ca, dnsNames: ["federator.a.example", "*.a.example"], validityDays: 7 });
    expect(opensslVerify(ca.certificatePem, leaf.certificatePem, "sslserver")).toContain(": OK");
    expect(opensslVerify(ca.certificatePem, leaf.certificatePem, "sslclient")).toContain(": OK");
  });

  it("puts the DNS names in the SAN, both EKUs, and a PKCS#8 key that matches the certificate", async () => {
    const ca = await createCertificateAuthority({ commonName: "Test CA", validityDays: 30 });
    const leaf = await issueCertificate({ ca, dnsNames: ["federator.a.example", "*.a.example"], validityDays: 7 });
    const x509 = new X509Certificate(leaf.certificatePem);
    expect(x509.subjectAltName).toBe("DNS:federator.a.example, DNS:*.a.example");
    expect(x509.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
    expect(x509.ca).toBe(false);
    expect(x509.subject).toBe("CN=federator.a.example");
    expect(leaf.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(x509.checkPrivateKey((await import("node:crypto")).createPrivateKey(leaf.privateKeyPem))).toBe(true);
    expect(x509.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(leaf.chainPem).toBe(leaf.certificatePem + ca.certificatePem);
  });

  it("issues a server-only certificate that openssl refuses for client use", async () => {
    const ca = await createCertificateAuthority({ commonName: "Test CA", validityDays: 30 });
    const leaf = await issueCertificate({ ca, dnsNames: ["server.example"], validityDays: 7, clientAuth: false });
    expect(opensslVerify(ca.certificatePem, leaf.certificatePem, "sslserver")).toContain(": OK");
    expect(() => opensslVerify(ca.certificatePem, leaf.certificatePem, "sslclient")).toThrow();
  });

  it("honours the validity window", async () => {
    const notBefore = new Date("2030-01-01T00:00:00Z");
    const ca = await createCertificateAuthority({ commonName: "Future CA", validityDays: 10, notBefore });
    const x509 = new X509Certificate(ca.certificatePem);
    expect(new Date(x509.validFrom).toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(new Date(x509.validTo).toISOString()).toBe("2030-01-11T00:00:00.000Z");
    expect(x509.ca).toBe(true);
  });

  it("keeps a DNS name longer than a common name may be in a critical SAN only", async () => {
    const ca = await createCertificateAuthority({ commonName: "Test CA", validityDays: 30 });
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.example`;
    const leaf = await issueCertificate({ ca, dnsNames: [long], validityDays: 1 });
    const x509 = new X509Certificate(leaf.certificatePem);
    expect(x509.subjectAltName).toBe(`DNS:${long}`);
    expect(opensslVerify(ca.certificatePem, leaf.certificatePem, "sslserver")).toContain(": OK");
  });

  it("refuses a non-positive validity", async () => {
    await expect(createCertificateAuthority({ commonName: "x", validityDays: 0 })).rejects.toThrow(/validityDays/);
  });
});
