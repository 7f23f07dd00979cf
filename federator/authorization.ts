// Pure authorization decisions: may we federate with a domain (strategy + allow list), and does a
// certificate name match a discovered host (RFC 6125 §6.4, wildcard only as the whole left-most label).
import type { X509Certificate } from "node:crypto";
import type { FederatorConfig, FederatorRemote } from "../lib/api/federator-config.ts";
import type { FederatorError } from "./errors.ts";
import { issuedBy } from "./issued-by.ts";

export type Decision = { readonly ok: true } | { readonly ok: false; readonly error: FederatorError };

const ALLOWED: Decision = { ok: true };

/** Wire's ensureCanFederateWith: AllowNone denies, AllowAll allows, AllowList allows listed domains. */
export function canFederateWith(config: Pick<FederatorConfig, "strategy" | "remotes">, domain: string): Decision {
  const denied: Decision = { ok: false, error: { kind: "FederationDenied", domain } };
  switch (config.strategy) {
    case "AllowNone":
      return denied;
    case "AllowAll":
      return ALLOWED;
    case "AllowList":
      return config.remotes.some((remote) => remote.domain === domain) ? ALLOWED : denied;
  }
}

export function remoteFor(config: Pick<FederatorConfig, "remotes">, domain: string): FederatorRemote | undefined {
  return config.remotes.find((remote) => remote.domain === domain);
}

function normalise(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/**
 * Whether a certificate DNS name (`pattern`) matches `host`. Case-insensitive, trailing dots ignored.
 * A wildcard matches exactly one non-empty label and only as the complete left-most label of a
 * pattern with at least two further labels (`*.example.com`, never `*.com`, `f*.example.com` or `a.*.example.com`).
 */
export function certificateNameMatches(pattern: string, host: string): boolean {
  const p = normalise(pattern);
  const h = normalise(host);
  if (p === "" || h === "") return false;
  const patternLabels = p.split(".");
  const hostLabels = h.split(".");
  if (hostLabels.some((label) => label === "")) return false;
  if (patternLabels.some((label) => label === "")) return false;
  if (patternLabels.slice(1).some((label) => label.includes("*"))) return false;
  if (patternLabels.length !== hostLabels.length) return false;
  const [first, ...rest] = patternLabels;
  const [hostFirst, ...hostRest] = hostLabels;
  if (rest.join(".") !== hostRest.join(".")) return false;
  if (first === "*") return rest.length >= 2 && hostFirst !== undefined && hostFirst !== "";
  if (first?.includes("*")) return false;
  return first === hostFirst;
}

/** Requires one certificate DNS name to match one discovered host (Wire's validateDomain). */
export function certificateMatchesAnyHost(certificateNames: readonly string[], hostnames: readonly string[]): Decision {
  const matched = hostnames.some((host) => certificateNames.some((name) => certificateNameMatches(name, host)));
  if (matched) return ALLOWED;
  return { ok: false, error: { kind: "AuthenticationFailure", hostnames: hostnames.map(normalise), certificateNames } };
}

/**
 * Binds a remote to its own CAs: with `caFingerprints` (its FederationPeer's CAs), the client
 * certificate must be issued and signed by one of them. nginx only checked that *some* CA of the
 * shared bundle issued it, so without this any peer's CA could vouch for any other peer. Only the
 * leaf is known (nginx passes nothing else, Node's TLS server exposes nothing else), so a leaf
 * from an intermediate needs that intermediate in the peer's caBundle; the refusal names it.
 */
export function issuedByRemoteCA(certificate: X509Certificate, domain: string, caFingerprints: readonly string[], bundleCAs: ReadonlyMap<string, X509Certificate>): Decision {
  if (caFingerprints.length === 0) return ALLOWED;
  for (const fingerprint of caFingerprints) {
    const ca = bundleCAs.get(fingerprint);
    if (ca !== undefined && issuedBy(certificate, ca)) return ALLOWED;
  }
  const issuer = certificate.issuer.replace(/\n/g, ", ");
  const issuerTrustedForOthers = [...bundleCAs.values()].some((ca) => issuedBy(certificate, ca));
  return { ok: false, error: { kind: "NotIssuedByRemoteCA", domain, subject: certificate.subject.replace(/\n/g, ", "), issuer, issuerTrustedForOthers } };
}
