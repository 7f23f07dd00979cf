// The remote's client certificate: from the one header the configured ingress controller sets and
// overwrites on every request (see CertificateHeader), or, in Passthrough mode, from our own TLS
// session. Any other certificate header is the client's own text and is never read.
// The SAN extension is decoded by @peculiar/x509 so names are never split out of a display string.
import "reflect-metadata";
import { X509Certificate as NodeX509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { FederatorError } from "./errors.ts";

export interface ClientCertificate {
  readonly x509: NodeX509Certificate;
  /** The names it is valid for: its DNS subjectAltNames, else its subject CN (see namesOf). */
  readonly dnsNames: readonly string[];
  readonly subject: string;
  readonly sha256Fingerprint: string;
  /** Validity in epoch milliseconds, read once when parsed. */
  readonly notBefore: number;
  readonly notAfter: number;
}

export type CertificateResult = { readonly ok: true; readonly certificate: ClientCertificate } | { readonly ok: false; readonly error: FederatorError };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
/** nginx escapes a space as %20, other encoders as `+`; `+` inside base64 must stay `+`. */
const PEM_ARMOUR_PLUS = /-----(BEGIN|END)\+([A-Z0-9+]+)-----/g;

/** Decodes %XX escapes without turning `+` into a space (base64 uses `+`). */
export function urlUnescape(value: string): string | undefined {
  try {
    return decodeURIComponent(value).replace(PEM_ARMOUR_PLUS, (_m, edge: string, label: string) => `-----${edge} ${label.replace(/\+/g, " ")}-----`);
  } catch {
    return undefined;
  }
}

function parseError(reason: string): CertificateResult {
  return { ok: false, error: { kind: "CertificateParseError", reason } };
}

/**
 * The names a certificate is valid for, as wire-server's validateDomainName matches them
 * (x509-validation's validateCertificateName): its DNS subjectAltNames, or its subject CN when it
 * has none (unit test validateDomainCertCN).
 */
export function dnsNamesOf(der: ArrayBuffer | Uint8Array): readonly string[] {
  const certificate = new x509.X509Certificate(der as ConstructorParameters<typeof x509.X509Certificate>[0]);
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const dns = san === null ? [] : san.names.items.filter((name) => name.type === "dns").map((name) => name.value);
  if (dns.length > 0) return dns;
  return certificate.subjectName.getField("CN").slice(0, 1);
}

function describe(der: Uint8Array): ClientCertificate {
  const node = new NodeX509Certificate(der);
  return {
    x509: node,
    dnsNames: dnsNamesOf(der),
    subject: node.subject.replace(/\n/g, ", "),
    sha256Fingerprint: node.fingerprint256,
    notBefore: Date.parse(node.validFrom),
    notAfter: Date.parse(node.validTo),
  };
}

/** Parses exactly one PEM certificate (Wire's decodeCertificate: "no certificate found" / "found multiple certificates"). */
export function parsePemCertificate(pem: string): CertificateResult {
  const blocks = [...pem.matchAll(PEM_BLOCK)].filter((block) => block[1] === "CERTIFICATE");
  if (blocks.length === 0) return parseError("no certificate found");
  if (blocks.length > 1) return parseError("found multiple certificates");
  const body = (blocks[0]?.[2] ?? "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return parseError("the certificate is not valid base64");
  try {
    return { ok: true, certificate: describe(Buffer.from(body, "base64")) };
  } catch (error) {
    return parseError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Which request header carries the verified client certificate, and so its encoding:
 * - `ssl-client-cert`: ingress-nginx's `auth-tls-pass-certificate-to-upstream` (and Traefik's
 *   ingress-nginx provider), URL-escaped PEM from `$ssl_client_escaped_cert`;
 * - `X-Forwarded-Tls-Client-Cert`: Traefik's passTLSClientCert middleware (`pem: true`), the
 *   chain's base64 DER bodies joined by commas, leaf first;
 * - `X-SSL-Certificate`: wire-server's chart, set by a configuration-snippet (URL-escaped PEM).
 */
export type CertificateHeader = "ssl-client-cert" | "X-Forwarded-Tls-Client-Cert" | "X-SSL-Certificate";

type HeaderValue = string | readonly string[] | undefined;

/** Parses the configured header of a request (header names are lower-case in Node). */
export function parseClientCertificateHeader(header: CertificateHeader, value: HeaderValue): CertificateResult {
  return header === "X-Forwarded-Tls-Client-Cert" ? parseTraefikCertificateHeader(value) : parseCertificateHeader(value, header);
}

/** Traefik's `X-Forwarded-Tls-Client-Cert`: comma-separated base64 DER, the leaf first. */
export function parseTraefikCertificateHeader(value: HeaderValue): CertificateResult {
  if (value === undefined || value === "") return { ok: false, error: { kind: "NoClientCertificate" } };
  if (typeof value !== "string") return parseError("more than one X-Forwarded-Tls-Client-Cert header");
  const leaf = (value.split(",")[0] ?? "").trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(leaf)) return parseError("the certificate is not valid base64");
  try {
    return { ok: true, certificate: describe(Buffer.from(leaf, "base64")) };
  } catch (error) {
    return parseError(error instanceof Error ? error.message : String(error));
  }
}

/** A URL-escaped PEM header: absent → no-client-certificate; present but unusable → certificate-parse-error. */
export function parseCertificateHeader(value: HeaderValue, name = "ssl-client-cert"): CertificateResult {
  if (value === undefined || value === "") return { ok: false, error: { kind: "NoClientCertificate" } };
  if (typeof value !== "string") return parseError(`more than one ${name} header`);
  const pem = urlUnescape(value);
  if (pem === undefined) return parseError("the header is not valid URL-escaped text");
  return parsePemCertificate(pem);
}

/**
 * The peer certificate of a mutual-TLS session (Passthrough mode). Only the leaf: Node's TLS
 * server does not expose the intermediates the client presented (getPeerCertificate(true) on the
 * server side has no issuerCertificate), so binding to a peer's CAs sees what Nginx mode sees.
 */
export function certificateFromTlsSession(peer: NodeX509Certificate | undefined): CertificateResult {
  if (peer === undefined) return { ok: false, error: { kind: "NoClientCertificate" } };
  try {
    return { ok: true, certificate: describe(new Uint8Array(peer.raw)) };
  } catch (error) {
    return parseError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Refuses a leaf outside its validity period. Whoever forwarded the header (nginx) should have
 * checked it, and OpenSSL checks it at the handshake, but a header is only as good as its sender
 * and an HTTP/2 session outlives the moment it was verified.
 */
export function validNow(certificate: ClientCertificate, now: number): { readonly ok: true } | { readonly ok: false; readonly error: FederatorError } {
  if (now >= certificate.notBefore && now <= certificate.notAfter) return { ok: true };
  return { ok: false, error: { kind: "CertificateNotValidNow", subject: certificate.subject, notBefore: new Date(certificate.notBefore), notAfter: new Date(certificate.notAfter) } };
}

/**
 * A bounded cache of header → parse result: a busy peer sends the same certificate on every
 * request, and ASN.1 decoding per request would cost more than the rest of the checks together.
 */
export class CertificateHeaderCache {
  readonly #entries = new Map<string, CertificateResult>();
  readonly #capacity: number;

  constructor(capacity = 256) {
    this.#capacity = capacity;
  }

  parse(header: CertificateHeader, value: HeaderValue): CertificateResult {
    if (typeof value !== "string" || value === "") return parseClientCertificateHeader(header, value);
    const key = `${header}\n${value}`;
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const result = parseClientCertificateHeader(header, value);
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, result);
    return result;
  }
}
