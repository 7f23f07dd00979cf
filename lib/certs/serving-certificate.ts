// Is a certificate + key fit to be this backend's federation certificate? Wire presents the same
// certificate as TLS server (to remotes' federators) and as TLS client (to remotes' ingresses), so it
// needs the infra domain in its SAN, both serverAuth and clientAuth, the matching key, and the full chain.
// Messages name what was found and what to do; they never contain key material.
import { createPrivateKey } from "node:crypto";
import { checkChain, type ChainProblem } from "./chain.ts";
import { extendedKeyUsages, subjectAltNames } from "./extensions.ts";
import { parseCertificateBundle, validityAt, type ParsedCertificate } from "./pem.ts";

export type ServingProblemReason =
  | "InvalidCertificate"
  | "InvalidCA"
  | "InvalidKey"
  | "KeyMismatch"
  | "Expired"
  | "NotYetValid"
  | "NameMismatch"
  | "MissingExtendedKeyUsage"
  | "IncompleteChain"
  | "InvalidChain";

export interface ServingCertificateInput {
  /** tls.crt: the leaf first, then its intermediates. */
  readonly certificatePem: string;
  /** tls.key */
  readonly privateKeyPem: string;
  /** ca.crt, when the Secret has one: the root(s) the chain ends in. */
  readonly caPem?: string | undefined;
  readonly infraDomain: string;
  readonly now: Date;
}

export type ServingCertificateResult =
  | { readonly ok: true; readonly leaf: ParsedCertificate; readonly chain: readonly ParsedCertificate[]; readonly notAfter: Date }
  | { readonly ok: false; readonly reason: ServingProblemReason; readonly message: string; readonly chainProblem?: ChainProblem };

const WIRE_USAGES = ["serverAuth", "clientAuth"] as const;

const fail = (reason: ServingProblemReason, message: string, chainProblem?: ChainProblem): ServingCertificateResult => ({
  ok: false,
  reason,
  message,
  ...(chainProblem === undefined ? {} : { chainProblem }),
});

function keyProblem(leaf: ParsedCertificate, privateKeyPem: string): ServingCertificateResult | undefined {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    // OpenSSL's message says nothing useful here, and nothing about the key may leave this function.
    return fail("InvalidKey", "tls.key is not a readable PEM private key (PKCS#8, PKCS#1 or SEC1, unencrypted)");
  }
  if (!leaf.x509.checkPrivateKey(key)) return fail("KeyMismatch", `tls.key does not belong to the certificate "${leaf.subject}" (its public key differs); put the matching key in tls.key`);
  return undefined;
}

function usageProblem(leaf: ParsedCertificate): ServingCertificateResult | undefined {
  const usages = extendedKeyUsages(leaf);
  const found = usages === undefined ? "no extended key usage extension" : `extended key usage ${usages.join(", ") || "(empty)"}`;
  const missing = WIRE_USAGES.filter((u) => !usages?.includes(u) && !usages?.includes("anyExtendedKeyUsage"));
  if (missing.length === 0) return undefined;
  return fail("MissingExtendedKeyUsage", `the certificate has ${found}, missing ${missing.join(" and ")}; Wire needs both serverAuth and clientAuth (cert-manager usages: server auth, client auth)`);
}

export function checkServingCertificate(input: ServingCertificateInput): ServingCertificateResult {
  const parsed = parseCertificateBundle(input.certificatePem);
  if (!parsed.ok) return fail("InvalidCertificate", `tls.crt: ${parsed.problem.message}`);
  const leaf = parsed.certificates[0]!;
  const bundle = input.caPem === undefined || input.caPem.trim() === "" ? { ok: true as const, certificates: [] } : parseCertificateBundle(input.caPem);
  if (!bundle.ok) return fail("InvalidCA", `ca.crt: ${bundle.problem.message}`);

  const badKey = keyProblem(leaf, input.privateKeyPem);
  if (badKey !== undefined) return badKey;
  const validity = validityAt(leaf, input.now);
  if (validity === "Expired") return fail("Expired", `the certificate "${leaf.subject}" expired on ${leaf.notAfter.toISOString()}; renew it`);
  if (validity === "NotYetValid") return fail("NotYetValid", `the certificate "${leaf.subject}" is not valid before ${leaf.notBefore.toISOString()}; check the issuer's clock`);
  if (leaf.x509.checkHost(input.infraDomain, { subject: "never" }) === undefined) {
    const names = subjectAltNames(leaf).dns;
    const found = names.length === 0 ? "no DNS subjectAltName" : `DNS names ${names.join(", ")}`;
    return fail("NameMismatch", `the certificate has ${found}, none covers the infra domain ${input.infraDomain}; issue it with DNS name ${input.infraDomain}`);
  }
  const badUsage = usageProblem(leaf);
  if (badUsage !== undefined) return badUsage;
  const chain = checkChain(parsed.certificates, { bundle: bundle.certificates, systemRoots: true, now: input.now });
  if (!chain.ok) {
    const reason = chain.problem.reason === "MissingIssuer" || chain.problem.reason === "IntermediateNotInChain" ? "IncompleteChain" : "InvalidChain";
    return fail(reason, chain.problem.message, chain.problem);
  }
  return { ok: true, leaf, chain: chain.chain, notAfter: leaf.notAfter };
}
