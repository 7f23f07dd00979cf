// Which FederationPeers a FederationConfig accepts, and why the others are left out.
// A bad peer never poisons the others: each gets its own verdict.
import type { FederationPeer } from "../../lib/api/v1alpha1.ts";
import { parseCertificateBundleCached, validityAt, type ParsedCertificate } from "../../lib/certs/pem.ts";
import type { ConditionInput } from "./conditions.ts";
import { lookup, type ReferencedData } from "./referenced.ts";

export type PeerState = "Accepted" | "Suspended" | "Rejected";

export interface PeerVerdict {
  readonly peer: FederationPeer;
  readonly state: PeerState;
  readonly accepted: ConditionInput;
  readonly caValid: ConditionInput;
  readonly expiringSoon: ConditionInput;
  /** Every certificate found in the peer's caBundle, valid or not, for its status. */
  readonly caCertificates: readonly ParsedCertificate[];
  /** The certificates that go into the CA bundle. */
  readonly trusted: readonly ParsedCertificate[];
}

export interface PeerEvaluationContext {
  readonly backendDomain: string;
  readonly referenced: ReferencedData;
  readonly now: Date;
  /** ExpiringSoon turns True when a trusted CA expires within this many days. */
  readonly expiryWarningDays: number;
}

const cond = (type: string, status: ConditionInput["status"], reason: string, message: string): ConditionInput => ({ type, status, reason, message });

interface CAEvaluation {
  readonly condition: ConditionInput;
  readonly all: readonly ParsedCertificate[];
  readonly trusted: readonly ParsedCertificate[];
  /** False when the peer cannot be trusted at all. */
  readonly usable: boolean;
}

type CASource =
  | { readonly ok: true; readonly value: string; readonly where: string; readonly secret?: string }
  | { readonly ok: false; readonly reason: "NotFound" | "KeyMissing"; readonly message: string; readonly where: string; readonly secret?: string };

function caSource(peer: FederationPeer, referenced: ReferencedData): CASource | undefined {
  const bundle = peer.spec.caBundle;
  if (bundle === undefined) return undefined;
  if (bundle.pem !== undefined) return { ok: true as const, value: bundle.pem, where: "caBundle.pem" };
  if (bundle.secretRef !== undefined) {
    const secret = `Secret ${bundle.secretRef.name} (key ${bundle.secretRef.key})`;
    return { ...lookup(referenced, "Secret", bundle.secretRef), where: `Secret ${bundle.secretRef.name}`, secret };
  }
  if (bundle.configMapRef !== undefined) return { ...lookup(referenced, "ConfigMap", bundle.configMapRef), where: `ConfigMap ${bundle.configMapRef.name}` };
  return undefined;
}

/**
 * Whoever may edit a FederationPeer may not be allowed to read Secrets: a status that said whether
 * a Secret exists, has a key, or holds a private key would let them probe every Secret of the
 * namespace. So a Secret that cannot be used gets one message for every reason; whoever may read
 * the Secret finds out which. ConfigMaps, readable anyway, get precise messages.
 */
export function secretUnusable(secret: string): ConditionInput {
  const message = `${secret} is not usable: it does not exist, has no such key, or holds no valid PEM CA certificate; whoever may read it can check it with kubectl get secret, then fix it or spec.caBundle`;
  return cond("CAValid", "False", "CABundleUnusable", message);
}

function describeInvalid(cert: ParsedCertificate, now: Date): string | undefined {
  const validity = validityAt(cert, now);
  if (validity === "Expired") return `CA "${cert.subject}" expired on ${cert.notAfter.toISOString()}`;
  if (validity === "NotYetValid") return `CA "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`;
  if (!cert.isCA) return `certificate "${cert.subject}" is not a CA (basicConstraints CA:FALSE); give the remote's issuing CA instead`;
  return undefined;
}

export function evaluateCA(peer: FederationPeer, context: PeerEvaluationContext): CAEvaluation {
  const source = caSource(peer, context.referenced);
  if (source === undefined) {
    const message = "no caBundle: the remote is trusted only through trust.extraCABundle or the system CA store";
    return { condition: cond("CAValid", "True", "NoCABundle", message), all: [], trusted: [], usable: true };
  }
  const unusable = (condition: ConditionInput): CAEvaluation => ({ condition, all: [], trusted: [], usable: false });
  if (!source.ok) {
    if (source.secret !== undefined) return unusable(secretUnusable(source.secret));
    return unusable(cond("CAValid", "False", source.reason === "NotFound" ? "CABundleNotFound" : "CABundleKeyMissing", `${source.message}; create it or fix spec.caBundle`));
  }
  const parsed = parseCertificateBundleCached(source.value);
  if (!parsed.ok) {
    if (source.secret !== undefined) return unusable(secretUnusable(source.secret));
    return unusable(cond("CAValid", "False", "InvalidPEM", `${source.where}: ${parsed.problem.message}; provide PEM-encoded CA certificates`));
  }
  const checked = parsed.certificates.map((certificate) => ({ certificate, problem: describeInvalid(certificate, context.now) }));
  const problems = checked.flatMap((c) => (c.problem === undefined ? [] : [c.problem]));
  const trusted = checked.flatMap((c) => (c.problem === undefined ? [c.certificate] : []));
  if (problems.length === 0) {
    const message = `${trusted.length} CA certificate(s) trusted`;
    return { condition: cond("CAValid", "True", "Valid", message), all: parsed.certificates, trusted, usable: true };
  }
  // What a Secret holds besides trusted CAs is not for the peer's status either.
  if (source.secret !== undefined && trusted.length === 0) return unusable(secretUnusable(source.secret));
  const all = source.secret !== undefined ? trusted : parsed.certificates;
  const described = source.secret !== undefined ? [`${problems.length} certificate(s) of ${source.secret} are expired, not yet valid or not CAs`] : problems;
  const reason = source.secret !== undefined ? "InvalidCA" : problems.some((p) => p.includes("expired")) ? "ExpiredCA" : "InvalidCA";
  const left =
    trusted.length === 0
      ? "no valid CA certificate is left, so the peer is not trusted; ask the remote for its current CA and put it in spec.caBundle"
      : `${trusted.length} valid CA certificate(s) still trusted; remove the others from spec.caBundle`;
  return { condition: cond("CAValid", "False", reason, `${described.join("; ")}; ${left}`), all, trusted, usable: trusted.length > 0 };
}

function expiringSoon(trusted: readonly ParsedCertificate[], context: PeerEvaluationContext): ConditionInput {
  const soonest = [...trusted].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  if (soonest === undefined) return cond("ExpiringSoon", "False", "NoTrustedCA", "no trusted CA certificate to expire");
  const days = (soonest.notAfter.getTime() - context.now.getTime()) / 86_400_000;
  if (days <= context.expiryWarningDays) {
    // No "in N days": a message that changes daily would rewrite the status every day.
    const message = `CA "${soonest.subject}" expires on ${soonest.notAfter.toISOString()}, within ${context.expiryWarningDays} days; ask the remote for its new CA and add it to caBundle`;
    return cond("ExpiringSoon", "True", "CAExpiringSoon", message);
  }
  return cond("ExpiringSoon", "False", "NotExpiring", `earliest CA expiry ${soonest.notAfter.toISOString()}`);
}

/** Oldest first: who keeps a contested domain, and a place in the CA bundle. */
export const byAge = (a: FederationPeer, b: FederationPeer) =>
  (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || a.metadata.name.localeCompare(b.metadata.name);

/** Verdicts for the peers of one config, in name order. */
export function evaluatePeers(peers: readonly FederationPeer[], context: PeerEvaluationContext): PeerVerdict[] {
  const holder = new Map<string, string>();
  for (const peer of [...peers].sort(byAge)) {
    if (!peer.spec.suspend && !holder.has(peer.spec.domain)) holder.set(peer.spec.domain, peer.metadata.name);
  }
  return [...peers]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((peer) => {
      const ca = evaluateCA(peer, context);
      const base = { peer, caValid: ca.condition, caCertificates: ca.all, expiringSoon: expiringSoon(ca.trusted, context) };
      const reject = (reason: string, message: string): PeerVerdict => ({ ...base, state: "Rejected", trusted: [], accepted: cond("Accepted", "False", reason, message) });
      const domain = peer.spec.domain;
      if (peer.spec.suspend) {
        return { ...base, state: "Suspended", trusted: [], accepted: cond("Accepted", "False", "Suspended", `spec.suspend is true: ${domain} is off the allow list; set it to false to resume`) };
      }
      if (domain === context.backendDomain) return reject("OwnDomain", `${domain} is this backend's own domain; a backend does not federate with itself`);
      const owner = holder.get(domain);
      if (owner !== peer.metadata.name) return reject("DuplicateDomain", `FederationPeer ${owner} already federates with ${domain}; delete one of them`);
      if (!ca.usable) return reject(ca.condition.reason, ca.condition.message);
      return { ...base, state: "Accepted", trusted: ca.trusted, accepted: cond("Accepted", "True", "Accepted", `${domain} is on the allow list`) };
    });
}
