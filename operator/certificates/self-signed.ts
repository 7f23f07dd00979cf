// selfSigned mode: the operator keeps a CA in a Secret of its own (never regenerated while it is
// valid, so remotes keep trusting it across operator restarts) and issues an ECDSA P-256 leaf for
// infraDomain with serverAuth + clientAuth, renewed at two thirds of its lifetime.
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from "../../lib/certs/issue.ts";
import { parseCertificateBundle, type ParsedCertificate } from "../../lib/certs/pem.ts";
import { outputNames } from "../desired/names.ts";
import { parseDuration } from "./duration.ts";
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import type { CertificateContext, EnsuredCertificate } from "./own-certificate.ts";

const CA_VALIDITY_DAYS = 3650;
const DAY_MS = 86_400_000;

export interface SelfSignedMaterial {
  readonly ca: CertificateAuthority;
  readonly leaf: { readonly chainPem: string; readonly privateKeyPem: string };
}

function readCA(data: Record<string, string> | undefined, now: Date): CertificateAuthority | undefined {
  const crt = data?.["tls.crt"];
  const key = data?.["tls.key"];
  if (crt === undefined || key === undefined) return undefined;
  const parsed = parseCertificateBundle(crt);
  if (!parsed.ok || !parsed.certificates[0]?.isCA || parsed.certificates[0].notAfter <= now) return undefined;
  return { certificatePem: crt, privateKeyPem: key };
}

function readLeaf(data: Record<string, string> | undefined): { chainPem: string; privateKeyPem: string; leaf: ParsedCertificate } | undefined {
  const crt = data?.["tls.crt"];
  const key = data?.["tls.key"];
  if (crt === undefined || key === undefined) return undefined;
  const parsed = parseCertificateBundle(crt);
  if (!parsed.ok || parsed.certificates[0] === undefined) return undefined;
  return { chainPem: crt, privateKeyPem: key, leaf: parsed.certificates[0] };
}

/** When a leaf must be replaced: at 2/3 of its life, or at once if it no longer fits the spec. */
export function renewalTime(leaf: ParsedCertificate, ca: CertificateAuthority, infraDomain: string, lifetimeMs: number): Date {
  const caCert = parseCertificateBundle(ca.certificatePem);
  const issuedByCA = caCert.ok && caCert.certificates[0] !== undefined && leaf.x509.checkIssued(caCert.certificates[0].x509) && leaf.x509.verify(caCert.certificates[0].x509.publicKey);
  const actualLifetime = leaf.notAfter.getTime() - leaf.notBefore.getTime();
  // X.509 times have one-second resolution.
  const fits = issuedByCA && leaf.x509.checkHost(infraDomain) !== undefined && Math.abs(actualLifetime - lifetimeMs) <= 2000;
  if (!fits) return new Date(0);
  return new Date(leaf.notBefore.getTime() + (actualLifetime * 2) / 3);
}

export async function selfSigned(context: CertificateContext, issued: Map<string, SelfSignedMaterial>): Promise<EnsuredCertificate> {
  const { config, now } = context;
  const names = outputNames(config.metadata.name);
  const lifetimeMs = parseDuration(config.spec.certificate.selfSigned?.duration ?? "2160h") ?? 90 * DAY_MS;
  const remembered = issued.get(config.metadata.uid ?? config.metadata.name);

  const ca =
    readCA(decodedSecretData(context.owned(names.selfSignedCA)), now) ??
    remembered?.ca ??
    (await createCertificateAuthority({ commonName: `${config.spec.infraDomain} federation CA`, organization: "wire-federation-operator", validityDays: CA_VALIDITY_DAYS }));

  const candidates = [readLeaf(decodedSecretData(context.owned(names.tls))), remembered ? readLeaf({ "tls.crt": remembered.leaf.chainPem, "tls.key": remembered.leaf.privateKeyPem }) : undefined]
    .filter((c) => c !== undefined)
    .sort((a, b) => b.leaf.notBefore.getTime() - a.leaf.notBefore.getTime());
  let leaf = candidates[0];
  if (leaf === undefined || renewalTime(leaf.leaf, ca, config.spec.infraDomain, lifetimeMs) <= now) {
    // Backdating absorbs clock skew, but must stay a small part of a short lifetime.
    const backdateMs = Math.min(5 * 60_000, Math.floor(lifetimeMs / 10 / 1000) * 1000);
    const fresh = await issueCertificate({ ca, dnsNames: [config.spec.infraDomain], validityDays: lifetimeMs / DAY_MS, notBefore: new Date(Math.floor((now.getTime() - backdateMs) / 1000) * 1000) });
    leaf = readLeaf({ "tls.crt": fresh.chainPem, "tls.key": fresh.privateKeyPem })!;
  }
  issued.set(config.metadata.uid ?? config.metadata.name, { ca, leaf: { chainPem: leaf.chainPem, privateKeyPem: leaf.privateKeyPem } });

  const renewAt = renewalTime(leaf.leaf, ca, config.spec.infraDomain, lifetimeMs);
  return {
    ready: {
      type: "CertificateReady",
      status: "True",
      reason: "Issued",
      message: `self-signed certificate for ${config.spec.infraDomain}, valid until ${leaf.leaf.notAfter.toISOString()}, renewed after ${renewAt.toISOString()}; share ConfigMap ${config.metadata.name}-ca-public with your peers`,
    },
    notAfter: leaf.leaf.notAfter,
    secrets: [
      { name: names.selfSignedCA, type: "kubernetes.io/tls", data: { "tls.crt": ca.certificatePem, "tls.key": ca.privateKeyPem } },
      { name: names.tls, type: "kubernetes.io/tls", data: { "tls.crt": leaf.chainPem, "tls.key": leaf.privateKeyPem, "ca.crt": ca.certificatePem } },
    ],
    publishedCA: ca.certificatePem,
    requeueAfterMs: Math.max(1000, renewAt.getTime() - now.getTime()),
  };
}
