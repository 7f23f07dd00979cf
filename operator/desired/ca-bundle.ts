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

const entry = (c: ParsedCertificate) => `# ${c.subject}\n${c.pem}`;

export function buildCABundle(certificates: readonly ParsedCertificate[]): CABundle {
  const unique = new Map<string, ParsedCertificate>();
  for (const certificate of certificates) unique.set(certificate.sha256Fingerprint, certificate);
  const ordered = [...unique.values()].sort((a, b) => a.sha256Fingerprint.localeCompare(b.sha256Fingerprint));
  const pem = ordered.length === 0 ? DENY_ALL_CA_PEM : ordered.map(entry).join("");
  return { pem, sha256: createHash("sha256").update(pem).digest("hex"), count: ordered.length };
}

/**
 * What one peer may put into the bundle, and what all together may. A Secret holds at most 1 MiB
 * of data; a bundle over it is refused by the API server on every reconcile, and the stale one
 * stays (a suspended peer's CA trusted, new CAs never arriving). So the bundle stays at 3/4 of it.
 */
export interface BundleBudget {
  readonly casPerPeer: number;
  readonly bytesPerPeer: number;
  readonly totalBytes: number;
}

export const BUNDLE_BUDGET: BundleBudget = { casPerPeer: 16, bytesPerPeer: 64 * 1024, totalBytes: 768 * 1024 };

/** A source of CAs for the bundle, in the order the budget serves them. */
export interface BundleCandidate {
  readonly name: string;
  readonly certificates: readonly ParsedCertificate[];
  /** trust.extraCABundle, the config's own choice, is held only to the total. */
  readonly unlimited?: boolean;
}

export type LeftOut = { readonly name: string; readonly reason: "TooManyCAs" | "CABundleFull"; readonly message: string };

/**
 * Admits candidates in their order while they fit: a candidate over its own limits, or whose new
 * CAs (those not already admitted) would take the bundle over the total, is left out whole. The
 * caller orders them so that established peers keep their place and a newcomer cannot push
 * them out.
 */
export function budgetBundle(candidates: readonly BundleCandidate[], budget: BundleBudget = BUNDLE_BUDGET): { admitted: ReadonlySet<string>; leftOut: readonly LeftOut[] } {
  const admitted = new Set<string>();
  const leftOut: LeftOut[] = [];
  const inBundle = new Set<string>();
  let total = 0;
  for (const { name, certificates, unlimited } of candidates) {
    const unique = new Map(certificates.map((c) => [c.sha256Fingerprint, c]));
    const own = [...unique.values()].reduce((sum, c) => sum + Buffer.byteLength(entry(c)), 0);
    if (unlimited !== true && (unique.size > budget.casPerPeer || own > budget.bytesPerPeer)) {
      const message = `its caBundle has ${unique.size} CA certificate(s) of ${own} bytes; at most ${budget.casPerPeer} of ${budget.bytesPerPeer} bytes are taken from one source, so that no peer can push the bundle over the Secret size limit; give only the remote's issuing CAs`;
      leftOut.push({ name, reason: "TooManyCAs", message });
      continue;
    }
    const added = [...unique.values()].filter((c) => !inBundle.has(c.sha256Fingerprint));
    const bytes = added.reduce((sum, c) => sum + Buffer.byteLength(entry(c)), 0);
    if (total + bytes > budget.totalBytes) {
      const message = `its CAs (${bytes} bytes) do not fit into the CA bundle, which holds ${total} of at most ${budget.totalBytes} bytes; peers that came earlier keep their place; remove CAs from other peers or extraCABundle`;
      leftOut.push({ name, reason: "CABundleFull", message });
      continue;
    }
    for (const c of added) inBundle.add(c.sha256Fingerprint);
    total += bytes;
    admitted.add(name);
  }
  return { admitted, leftOut };
}
