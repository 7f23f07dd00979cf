// Walks a presented chain (tls.crt: leaf first, then intermediates in any order) up to a trust
// anchor and says precisely what is missing. A leaf sent without its intermediate is the classic
// federation failure: the remote's nginx (verify depth 2) cannot build a path to the CA it trusts.
import { rootCertificates } from "node:tls";
import { parseCertificateBundle, validityAt, type ParsedCertificate } from "./pem.ts";

export type ChainProblem =
  | { readonly reason: "MissingIssuer"; readonly issuer: string; readonly message: string }
  | { readonly reason: "IntermediateNotInChain"; readonly issuer: string; readonly message: string }
  | { readonly reason: "BadSignature"; readonly subject: string; readonly message: string }
  | { readonly reason: "IssuerNotCA"; readonly subject: string; readonly message: string }
  | { readonly reason: "InvalidIntermediate"; readonly subject: string; readonly message: string }
  | { readonly reason: "ChainTooLong"; readonly message: string };

export type ChainResult =
  | {
      readonly ok: true;
      /** Leaf first, each followed by its issuer, as a TLS peer must send it. */
      readonly chain: readonly ParsedCertificate[];
      /** The self-signed root the chain ends in, when it is known (in the chain, the bundle or the system store). */
      readonly anchor: ParsedCertificate | undefined;
    }
  | { readonly ok: false; readonly problem: ChainProblem };

export interface ChainOptions {
  /** Certificates trusted as issuers of the chain's top (e.g. the Secret's ca.crt). */
  readonly bundle: readonly ParsedCertificate[];
  /** Also look for the top's issuer among the operating system's roots (node's bundled Mozilla store). */
  readonly systemRoots?: boolean;
  readonly now: Date;
}

const MAX_DEPTH = 10;

let system: readonly ParsedCertificate[] | undefined;
function systemRootCertificates(): readonly ParsedCertificate[] {
  if (system === undefined) {
    const parsed = parseCertificateBundle(rootCertificates.join("\n"));
    system = parsed.ok ? parsed.certificates : [];
  }
  return system;
}

export function isSelfSigned(certificate: ParsedCertificate): boolean {
  return certificate.x509.checkIssued(certificate.x509) && certificate.x509.verify(certificate.x509.publicKey);
}

const issuedBy = (child: ParsedCertificate, candidate: ParsedCertificate) => child !== candidate && child.x509.checkIssued(candidate.x509);

function checkLink(child: ParsedCertificate, issuer: ParsedCertificate, now: Date): ChainProblem | undefined {
  if (!child.x509.verify(issuer.x509.publicKey)) {
    return { reason: "BadSignature", subject: child.subject, message: `the signature of "${child.subject}" does not verify with the key of "${issuer.subject}" (same name, different CA?)` };
  }
  if (!issuer.isCA) return { reason: "IssuerNotCA", subject: issuer.subject, message: `"${issuer.subject}" issued "${child.subject}" but is not a CA (basicConstraints CA:FALSE)` };
  const validity = validityAt(issuer, now);
  if (validity !== "Valid") {
    const when = validity === "Expired" ? `expired on ${issuer.notAfter.toISOString()}` : `is not valid before ${issuer.notBefore.toISOString()}`;
    return { reason: "InvalidIntermediate", subject: issuer.subject, message: `issuer "${issuer.subject}" ${when}` };
  }
  return undefined;
}

/** Checks that `presented` (leaf first) is a complete chain, against `bundle` for the top's issuer. */
export function checkChain(presented: readonly ParsedCertificate[], options: ChainOptions): ChainResult {
  const [leaf, ...rest] = presented;
  if (leaf === undefined) return { ok: false, problem: { reason: "MissingIssuer", issuer: "", message: "no certificate" } };
  const chain = [leaf];
  const pool = [...rest];
  for (;;) {
    const top = chain.at(-1)!;
    if (isSelfSigned(top)) return { ok: true, chain, anchor: top };
    if (chain.length > MAX_DEPTH) return { ok: false, problem: { reason: "ChainTooLong", message: `the chain is longer than ${MAX_DEPTH} certificates` } };
    const next = pool.find((c) => issuedBy(top, c));
    if (next !== undefined) {
      const problem = checkLink(top, next, options.now);
      if (problem !== undefined) return { ok: false, problem };
      chain.push(next);
      pool.splice(pool.indexOf(next), 1);
      continue;
    }
    return endOfChain(chain, top, options);
  }
}

/** The presented certificates ran out below a self-signed root: is the top's issuer known? */
function endOfChain(chain: readonly ParsedCertificate[], top: ParsedCertificate, options: ChainOptions): ChainResult {
  const known = options.bundle.find((c) => issuedBy(top, c)) ?? (options.systemRoots ? systemRootCertificates().find((c) => issuedBy(top, c)) : undefined);
  if (known !== undefined) {
    const problem = checkLink(top, known, options.now);
    if (problem !== undefined) return { ok: false, problem };
    if (isSelfSigned(known)) return { ok: true, chain, anchor: known };
    const message = `intermediate CA "${known.subject}" (issuer of "${top.subject}") is only in ca.crt; append it to tls.crt after the certificate, since remotes need it to build the chain`;
    return { ok: false, problem: { reason: "IntermediateNotInChain", issuer: known.subject, message } };
  }
  // An intermediate at the top is how chains are usually sent (the root stays with the verifier),
  // unless the Secret names its roots and none of them signed it.
  if (chain.length > 1 && top.isCA && options.bundle.length === 0) return { ok: true, chain, anchor: undefined };
  const where = options.bundle.length === 0 ? "tls.crt" : "tls.crt or ca.crt";
  const message =
    `the issuer "${top.issuer}" of "${top.subject}" is missing: it is not in ${where}; ` +
    "append the intermediate certificate(s) to tls.crt after the certificate (or, if a root CA issued it directly, put that root in ca.crt)";
  return { ok: false, problem: { reason: "MissingIssuer", issuer: top.issuer, message } };
}
