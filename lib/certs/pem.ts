// PEM certificate bundles: parse, describe, check validity. Built on node's X509Certificate so
// parsing is done by OpenSSL, not by us; results are values the caller must look at.
import { createHash, X509Certificate } from "node:crypto";

export interface ParsedCertificate {
  readonly x509: X509Certificate;
  /** The certificate re-encoded as a single PEM block (normalised line endings). */
  readonly pem: string;
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case colon-separated hex, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly sha256Fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
}

export type PemProblem =
  | { readonly reason: "Empty"; readonly message: string }
  | { readonly reason: "NotPem"; readonly message: string }
  | { readonly reason: "Truncated"; readonly message: string }
  | { readonly reason: "Unparsable"; readonly message: string; readonly index: number }
  | { readonly reason: "NotACertificate"; readonly message: string; readonly index: number };

export type PemResult = { readonly ok: true; readonly certificates: readonly ParsedCertificate[] } | { readonly ok: false; readonly problem: PemProblem };

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The one-line form of a distinguished name, e.g. `CN=Partner CA, O=Partner`. */
function oneLine(dn: string): string {
  return dn.split("\n").filter(Boolean).reverse().join(", ");
}

export function describeCertificate(x509: X509Certificate): ParsedCertificate {
  return {
    x509,
    pem: x509.toString().replace(/\r\n/g, "\n").trim() + "\n",
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    sha256Fingerprint: x509.fingerprint256,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    isCA: x509.ca,
  };
}

// DER starts with a SEQUENCE tag; any control character other than whitespace means it is not text.
const looksBinary = (text: string) => text.startsWith("0\u0082") || /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text);

/** Parses every certificate of a PEM bundle; refuses the whole bundle at the first bad block. */
export function parseCertificateBundle(text: string): PemResult {
  if (text.trim() === "") return { ok: false, problem: { reason: "Empty", message: "the bundle is empty" } };
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) {
    const truncated = text.includes("-----BEGIN ");
    return {
      ok: false,
      problem: truncated
        ? { reason: "Truncated", message: "a PEM block has a BEGIN line but no matching END line" }
        : looksBinary(text)
          ? { reason: "NotPem", message: "the data is binary (DER?), not PEM; convert it with openssl x509 -inform der -outform pem" }
          : { reason: "NotPem", message: "no PEM block found (expected -----BEGIN CERTIFICATE-----)" },
    };
  }
  const lastEnd = (blocks.at(-1)?.index ?? 0) + (blocks.at(-1)?.[0].length ?? 0);
  if (text.slice(lastEnd).includes("-----BEGIN ")) {
    return { ok: false, problem: { reason: "Truncated", message: `PEM block ${blocks.length + 1} has no END line` } };
  }
  const certificates: ParsedCertificate[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block[1] !== "CERTIFICATE") {
      return { ok: false, problem: { reason: "NotACertificate", index, message: `PEM block ${index + 1} is a ${block[1]}, not a CERTIFICATE` } };
    }
    try {
      certificates.push(describeCertificate(new X509Certificate(block[0])));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { ok: false, problem: { reason: "Unparsable", index, message: `certificate ${index + 1} cannot be parsed (${detail})` } };
    }
  }
  return { ok: true, certificates };
}

export type Validity = "Valid" | "Expired" | "NotYetValid";

export function validityAt(certificate: ParsedCertificate, now: Date): Validity {
  if (now.getTime() > certificate.notAfter.getTime()) return "Expired";
  if (now.getTime() < certificate.notBefore.getTime()) return "NotYetValid";
  return "Valid";
}

/**
 * The compact SHA-256 fingerprint (base64 of the digest of the DER) that names a CA in
 * federator.yaml: 44 characters instead of 95, so 10k peers still fit a ConfigMap.
 */
export function compactFingerprint(certificate: Pick<X509Certificate, "raw">): string {
  return createHash("sha256").update(certificate.raw).digest("base64");
}

const PARSED = new Map<string, PemResult>();
const PARSED_LIMIT = 20_000;

/**
 * parseCertificateBundle, remembered by text: a reconcile of a config with 1000 peers parses the
 * same 1000 CA bundles again and again, and OpenSSL parsing dominated its time.
 */
export function parseCertificateBundleCached(text: string): PemResult {
  const hit = PARSED.get(text);
  if (hit !== undefined) return hit;
  const result = parseCertificateBundle(text);
  if (PARSED.size >= PARSED_LIMIT) PARSED.delete(PARSED.keys().next().value as string);
  PARSED.set(text, result);
  return result;
}
