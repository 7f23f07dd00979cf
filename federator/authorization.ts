// Pure authorization decisions: may we federate with a domain (strategy + allow list), and does a
// certificate name match a discovered host (RFC 6125 §6.4, wildcard only as the whole left-most label).
import type { X509Certificate } from "node:crypto";
import { remoteCAFingerprints, type FederatorConfig, type FederatorRemote } from "../lib/api/federator-config.ts";
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

/** What the CA bundle (and the system store) vouch for, built once per snapshot. */
export interface CATrust {
  /** Every CA of the bundle by fingerprint (base64 SHA-256 of the DER). */
  readonly bundleCAs: ReadonlyMap<string, X509Certificate>;
  /**
   * The CAs that belong to no FederationPeer, by subject: trust.extraCABundle (the bundle's CAs
   * that are not in caFingerprints) and the system roots when useSystemCAStore is on.
   */
  readonly unboundCAs: ReadonlyMap<string, readonly X509Certificate[]>;
  /** Every CA of the bundle is one of the unbound CAs (no peer's, none unlisted). */
  readonly onlyUnboundCAs: boolean;
}

function describe(name: string): string {
  return name.replace(/\n/g, ", ");
}

/**
 * Binds CAs and domains both ways. An origin with CAs of its own (its FederationPeer's caBundle)
 * must present a certificate issued by one of them; any other origin (a peer without caBundle, or
 * unlisted under AllowAll) only one issued by a CA that belongs to no peer. So a peer's private CA
 * vouches for that peer alone. Only the leaf is known (nginx passes nothing else, Node's TLS server
 * exposes nothing else), so while any peer CA is trusted, a leaf from an intermediate needs that
 * intermediate in the caBundle (or in trust.extraCABundle); the refusal names it.
 */
export function issuedForOrigin(certificate: X509Certificate, domain: string, config: Pick<FederatorConfig, "remotes" | "caFingerprints">, trust: CATrust): Decision {
  const own = ownCAFingerprints(config, domain);
  const refusal = { kind: "NotIssuedByRemoteCA", domain, subject: describe(certificate.subject), issuer: describe(certificate.issuer) } as const;
  if (own.length > 0) {
    if (own.some((fingerprint) => issuedByFingerprint(certificate, fingerprint, trust))) return ALLOWED;
    return { ok: false, error: { ...refusal, ownCAs: true, issuerTrustedForOthers: isInBundle(certificate, trust), issuerPeers: [] } };
  }
  if (issuedByUnboundCA(certificate, trust)) return ALLOWED;
  // An issuer we cannot see (an intermediate the client presented) chains to some trusted CA; when
  // every trusted CA belongs to no peer, so does that one, and the chain the TLS layer verified is enough.
  if (trust.onlyUnboundCAs) return ALLOWED;
  const issuerPeers = config.remotes.filter((r) => remoteCAFingerprints(config, r).some((fingerprint) => issuedByFingerprint(certificate, fingerprint, trust))).map((r) => r.domain);
  return { ok: false, error: { ...refusal, ownCAs: false, issuerTrustedForOthers: issuerPeers.length > 0, issuerPeers } };
}

/** The fingerprints of the CAs of `domain`'s own FederationPeer (its caBundle); none for others. */
function ownCAFingerprints(config: Pick<FederatorConfig, "remotes" | "caFingerprints">, domain: string): string[] {
  const remote = remoteFor(config, domain);
  return remote === undefined ? [] : remoteCAFingerprints(config, remote);
}

/** Issued by a CA of no peer; looked up by the certificate's issuer name, so no scan of the bundle. */
function issuedByUnboundCA(certificate: X509Certificate, trust: CATrust): boolean {
  return (trust.unboundCAs.get(certificate.issuer) ?? []).some((ca) => issuedBy(certificate, ca));
}

function isInBundle(certificate: X509Certificate, trust: CATrust): boolean {
  return [...trust.bundleCAs.values()].some((ca) => issuedBy(certificate, ca));
}

function issuedByFingerprint(certificate: X509Certificate, fingerprint: string, trust: CATrust): boolean {
  const ca = trust.bundleCAs.get(fingerprint);
  return ca !== undefined && issuedBy(certificate, ca);
}

const peerCASets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** caFingerprints as a set, once per loaded config. */
function peerCASet(fingerprints: readonly string[]): ReadonlySet<string> {
  let set = peerCASets.get(fingerprints);
  if (set === undefined) peerCASets.set(fingerprints, (set = new Set(fingerprints)));
  return set;
}

/**
 * Egress, the same binding for the server we reached: a remote with CAs of its own must serve a
 * certificate that chains to one of them, any other remote one that chains through no peer's CA. So a
 * DNS or network attacker holding some peer's CA cannot serve our traffic to another backend.
 */
export function serverChainFitsRemote(chain: ReadonlySet<string>, domain: string, config: Pick<FederatorConfig, "remotes" | "caFingerprints">): string | undefined {
  const own = ownCAFingerprints(config, domain);
  if (own.length > 0) {
    return own.some((fingerprint) => chain.has(fingerprint))
      ? undefined
      : `the server certificate chains to none of ${domain}'s CAs (the caBundle of its FederationPeer): another CA of the bundle may not vouch for ${domain}`;
  }
  const peerCAs = peerCASet(config.caFingerprints);
  if (![...chain].some((fingerprint) => peerCAs.has(fingerprint))) return undefined;
  const owners = config.remotes.filter((r) => remoteCAFingerprints(config, r).some((fingerprint) => chain.has(fingerprint))).map((r) => r.domain);
  return `the server certificate chains to a CA of the FederationPeer for [${owners.join(", ")}], which vouches only for that peer; ${domain} has no caBundle: add its CA to the caBundle of its FederationPeer`;
}

/**
 * Whether a Passthrough session's client certificate is still issued by a CA we trust, after the
 * bundle changed. A leaf from an intermediate (issuer not seen) counts as no longer verified: the
 * client reconnects and the TLS layer checks its chain against the new bundle.
 */
export function stillIssuedByTrustedCA(leaf: X509Certificate, trust: CATrust): boolean {
  return isInBundle(leaf, trust) || issuedByUnboundCA(leaf, trust);
}
