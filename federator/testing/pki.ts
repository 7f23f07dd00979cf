// Test PKI: a CA and federator certificates per backend, written where a federator reads them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/certs/issue.ts";

export async function testCa(commonName = "Federation Test CA"): Promise<CertificateAuthority> {
  return createCertificateAuthority({ commonName, validityDays: 2 });
}

export async function federatorCertificate(ca: CertificateAuthority, ...dnsNames: string[]): Promise<IssuedCertificate> {
  return issueCertificate({ ca, dnsNames, validityDays: 1 });
}

/** Writes `tls.crt` (chain) and `tls.key` into `dir`. */
export function writeTlsDir(dir: string, certificate: IssuedCertificate): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "tls.crt"), certificate.chainPem);
  writeFileSync(join(dir, "tls.key"), certificate.privateKeyPem);
}

/** URL-escapes a PEM the way nginx's `$ssl_client_escaped_cert` does. */
export function nginxEscape(pem: string): string {
  return encodeURIComponent(pem);
}
