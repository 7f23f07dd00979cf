// What the Passthrough-mode TLS server accepts (the external port terminates mutual TLS itself).
// TLS 1.2 only with ECDHE and AEAD suites (RFC 9113 §9.2.2 forbids the rest for HTTP/2 anyway;
// no CBC, no SHA-1 MACs), TLS 1.3 with OpenSSL's defaults, and no renegotiation: a client could
// otherwise make us redo the handshake's expensive half on demand.
import { constants } from "node:crypto";

export const TLS12_AEAD_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** Options for tls.createSecureContext / createSecureServer of the external port. */
export const PASSTHROUGH_TLS_POLICY = {
  minVersion: "TLSv1.2",
  ciphers: TLS12_AEAD_CIPHERS,
  honorCipherOrder: true,
  secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
} as const;
