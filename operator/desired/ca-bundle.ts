// The CA bundle both nginx (auth-tls-secret) and the federator trust: the deduplicated union of
// the accepted peers' CAs and trust.extraCABundle, ordered by fingerprint so equal inputs give
// byte-equal output (and so no write).
import { createHash } from "node:crypto";
import type { ParsedCertificate } from "../../lib/certs/pem.ts";
import { DENY_ALL_CA_PEM } from "./deny-all-ca.ts";

export interface CABundle {
  readonly pem: string;
  readonly sha256: string;
  /** How many real CA certificates it holds (0: only the deny-all placeholder). */
  readonly count: number;
}

export function buildCABundle(certificates: readonly ParsedCertificate[]): CABundle {
  const unique = new Map<string, ParsedCertificate>();
  for (const certificate of certificates) unique.set(certificate.sha256Fingerprint, certificate);
  const ordered = [...unique.values()].sort((a, b) => a.sha256Fingerprint.localeCompare(b.sha256Fingerprint));
  const pem = ordered.length === 0 ? DENY_ALL_CA_PEM : ordered.map((c) => `# ${c.subject}\n${c.pem}`).join("");
  return { pem, sha256: createHash("sha256").update(pem).digest("hex"), count: ordered.length };
}
