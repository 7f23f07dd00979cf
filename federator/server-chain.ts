// The CAs a remote federator's server certificate chains to, as our TLS client verified it: Node
// hands the client the whole chain, the root from our trust store included. Read once per session.
import type { ClientHttp2Session } from "node:http2";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import { createHash } from "node:crypto";

const chains = new WeakMap<ClientHttp2Session, ReadonlySet<string>>();

/** Base64 SHA-256 fingerprints (of the DER, as in caFingerprints) of every certificate in the chain. */
export function serverChainFingerprints(session: ClientHttp2Session): ReadonlySet<string> {
  const known = chains.get(session);
  if (known !== undefined) return known;
  const fingerprints = new Set<string>();
  let certificate: DetailedPeerCertificate | undefined = (session.socket as TLSSocket).getPeerCertificate(true);
  while (certificate?.raw !== undefined && !fingerprints.has(fingerprintOf(certificate))) {
    fingerprints.add(fingerprintOf(certificate));
    certificate = certificate.issuerCertificate;
  }
  chains.set(session, fingerprints);
  return fingerprints;
}

function fingerprintOf(certificate: DetailedPeerCertificate): string {
  return createHash("sha256").update(certificate.raw).digest("base64");
}
