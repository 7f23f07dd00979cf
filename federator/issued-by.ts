// Whether a CA issued and signed a certificate, remembered per (certificate, CA) pair. Verifying a
// signature is the costliest step of authorizing a request (an ECDSA verify, about a fifth of the
// ingress federator's CPU under load), while both objects are long-lived: the certificate parse is
// cached per header value or TLS session, the CA per loaded bundle. Keys are the objects
// themselves, so a reload's new bundle starts afresh and nothing outlives its certificate.
import type { X509Certificate } from "node:crypto";

const verdicts = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();

export function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  let byIssuer = verdicts.get(certificate);
  if (byIssuer === undefined) verdicts.set(certificate, (byIssuer = new WeakMap()));
  let verdict = byIssuer.get(issuer);
  if (verdict === undefined) byIssuer.set(issuer, (verdict = certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)));
  return verdict;
}
