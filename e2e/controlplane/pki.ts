// The key material one test control plane needs: a CA, the API server's serving certificate,
// client certificates (admin and controller-manager, both in system:masters so RBAC never gets in
// the way of the harness itself) and the service-account signing key. ECDSA P-256 keeps it fast.
// @peculiar/x509's dependency injection needs the Reflect metadata API before it loads.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;
const BACKDATE_MS = 60 * 60 * 1000;

export interface KeyPairPem {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface ControlPlanePki {
  readonly ca: KeyPairPem;
  readonly apiServer: KeyPairPem;
  readonly admin: KeyPairPem;
  readonly controllerManager: KeyPairPem;
  /** Signs service-account tokens (PKCS#8 PEM)... */
  readonly serviceAccountKeyPem: string;
  /** ...and verifies them (SPKI PEM: the API server reads no public key out of PKCS#8). */
  readonly serviceAccountPublicKeyPem: string;
}

/** The user names the client certificates carry (audit events show them as `user.username`). */
export const ADMIN_USER = "wire-federation-admin";
export const CONTROLLER_MANAGER_USER = "system:kube-controller-manager";

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString("hex");
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + VALIDITY_MS) };
}

interface Issuer {
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

async function createCa(): Promise<Issuer> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=wire-federation-test-control-plane-ca",
    ...validity(),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys };
}

interface LeafOptions {
  readonly subject: string;
  readonly serverNames?: { dns: readonly string[]; ips: readonly string[] };
}

async function issueLeaf(issuer: Issuer, { subject, serverNames }: LeafOptions): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const usages = serverNames ? [x509.ExtendedKeyUsage.serverAuth] : [x509.ExtendedKeyUsage.clientAuth];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(usages),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate),
  ];
  if (serverNames) {
    const names = [
      ...serverNames.dns.map((value) => ({ type: "dns" as const, value })),
      ...serverNames.ips.map((value) => ({ type: "ip" as const, value })),
    ];
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: issuer.certificate.subject,
    ...validity(),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    extensions,
  });
  return { certificatePem: certificate.toString("pem"), privateKeyPem: await privateKeyPem(keys.privateKey) };
}

export async function createControlPlanePki(): Promise<ControlPlanePki> {
  const ca = await createCa();
  const serverNames = {
    dns: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
    ips: ["127.0.0.1", "10.0.0.1"],
  };
  const [apiServer, admin, controllerManager, serviceAccountKeys] = await Promise.all([
    issueLeaf(ca, { subject: "CN=kube-apiserver", serverNames }),
    issueLeaf(ca, { subject: `CN=${ADMIN_USER}, O=system:masters` }),
    issueLeaf(ca, { subject: `CN=${CONTROLLER_MANAGER_USER}, O=system:masters` }),
    generateKeys(),
  ]);
  return {
    ca: { certificatePem: ca.certificate.toString("pem"), privateKeyPem: await privateKeyPem(ca.keys.privateKey) },
    apiServer,
    admin,
    controllerManager,
    serviceAccountKeyPem: await privateKeyPem(serviceAccountKeys.privateKey),
    serviceAccountPublicKeyPem: x509.PemConverter.encode(
      await webcrypto.subtle.exportKey("spki", serviceAccountKeys.publicKey),
      "PUBLIC KEY",
    ),
  };
}
