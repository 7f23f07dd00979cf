// The CAs a remote federator's server certificate chains to, as our TLS client verified it: Node
// hands the client the whole chain, the root from our trust store included. Read once per session.
import type { ClientHttp2Session } from "node:http2";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import { compactFingerprint } from "../lib/certs/pem.ts";

const chains = new WeakMap<ClientHttp2Session, ReadonlySet<string>>();

/** Base64 SHA-256 fingerprints (of the DER, as in caFingerprints) of every certificate in the chain. */
export function serverChainFingerprints(session: ClientHttp2Session): ReadonlySet<string> {
  const known = chains.get(session);
  if (known !== undefined) return known;
  const fingerprints = new Set<string>();
  let certificate: DetailedPeerCertificate | undefined = (session.socket as TLSSocket).getPeerCertificate(true);
  while (certificate?.raw !== undefined) {
    const fingerprint = compactFingerprint(certificate);
    // The root is its own issuer: the chain ends where a certificate repeats.
    if (fingerprints.has(fingerprint)) break;
    fingerprints.add(fingerprint);
    certificate = certificate.issuerCertificate;
  }
  chains.set(session, fingerprints);
  return fingerprints;
}
