// Issues ECDSA P-256 certificate authorities and leaf certificates as PEM strings, for the operator's
// selfSigned mode and for tests. Built on @peculiar/x509 over WebCrypto so no DER is hand-assembled here.
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API before it loads.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_COMMON_NAME = 64;
/** Backdating absorbs clock skew between the issuer and whoever verifies the certificate first. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface CertificateAuthority {
  /** The CA certificate, PEM. */
  readonly certificatePem: string;
  /** The CA private key, PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

export interface IssuedCertificate {
  /** The leaf certificate, PEM. */
  readonly certificatePem: string;
  /** The leaf private key, PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** Leaf followed by the issuing CA: what a TLS server or client presents (`tls.crt`). */
  readonly chainPem: string;
}

export interface Validity {
  /** Start of validity; default: now minus a few minutes. */
  readonly notBefore?: Date;
  /** Length of validity in days, counted from notBefore. */
  readonly validityDays: number;
}

export interface CreateCertificateAuthorityOptions extends Validity {
  readonly commonName: string;
  readonly organization?: string;
}

export interface IssueCertificateOptions extends Validity {
  readonly ca: CertificateAuthority;
  /** DNS subjectAltNames; the first one is also the subject common name unless commonName is given. */
  readonly dnsNames: readonly string[];
  readonly commonName?: string;
  /** Extended key usages; both default to true (a federator is TLS server and client). */
  readonly serverAuth?: boolean;
  readonly clientAuth?: boolean;
}

function validityWindow({ notBefore, validityDays }: Validity): { notBefore: Date; notAfter: Date } {
  if (!(validityDays > 0)) throw new RangeError(`validityDays must be positive (got ${validityDays})`);
  const start = notBefore ?? new Date(Date.now() - BACKDATE_MS);
  return { notBefore: start, notAfter: new Date(start.getTime() + validityDays * DAY_MS) };
}

/** A random positive 128-bit serial number in hex (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return Buffer.from(bytes).toString("hex");
}

/** An X.500 name as a string, escaping the characters RFC 4514 reserves. */
function distinguishedName(parts: readonly (readonly [string, string | undefined])[]): string {
  const escape = (value: string) => value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
  return parts
    .filter((part): part is readonly [string, string] => part[1] !== undefined)
    .map(([type, value]) => `${type}=${escape(value)}`)
    .join(", ");
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

async function privateKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function importPrivateKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey("pkcs8", der, KEY_ALGORITHM, false, ["sign"]);
}

function toPem(certificate: x509.X509Certificate): string {
  return certificate.toString("pem").replace(/\r\n/g, "\n").trim() + "\n";
}

export async function createCertificateAuthority(options: CreateCertificateAuthorityOptions): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const name = distinguishedName([
    ["CN", options.commonName],
    ["O", options.organization],
  ]);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: toPem(certificate), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}

export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const commonName = options.commonName ?? options.dnsNames[0];
  if (commonName === undefined) throw new RangeError("a certificate needs at least one DNS name or a common name");
  // X.520 caps a common name at 64 characters; a longer DNS name lives only in the (then critical) SAN.
  const subjectName = commonName.length <= MAX_COMMON_NAME ? distinguishedName([["CN", commonName]]) : "";
  const caCertificate = new x509.X509Certificate(options.ca.certificatePem);
  const caKey = await importPrivateKey(options.ca.privateKeyPem);
  const keys = await generateKeys();
  const usages = [
    ...(options.serverAuth ?? true ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(options.clientAuth ?? true ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey),
  ];
  if (usages.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(usages, false));
  if (options.dnsNames.length > 0) {
    const names = options.dnsNames.map((value) => ({ type: "dns" as const, value }));
    extensions.push(new x509.SubjectAlternativeNameExtension(names, subjectName === ""));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName,
    issuer: caCertificate.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options),
    extensions,
  });
  const certificatePem = toPem(certificate);
  return { certificatePem, privateKeyPem: await privateKeyToPem(keys.privateKey), chainPem: certificatePem + options.ca.certificatePem };
}

export interface CreateIntermediateAuthorityOptions extends Validity {
  /** The CA that signs the intermediate. */
  readonly ca: CertificateAuthority;
  readonly commonName: string;
  readonly organization?: string;
}

/** A CA certificate signed by `ca` (path length 0: it issues leaves only), for chains of three. */
export async function createIntermediateAuthority(options: CreateIntermediateAuthorityOptions): Promise<CertificateAuthority> {
  const parent = new x509.X509Certificate(options.ca.certificatePem);
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName([
      ["CN", options.commonName],
      ["O", options.organization],
    ]),
    issuer: parent.subject,
    publicKey: keys.publicKey,
    signingKey: await importPrivateKey(options.ca.privateKeyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validityWindow(options),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(parent.publicKey),
    ],
  });
  return { certificatePem: toPem(certificate), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}
