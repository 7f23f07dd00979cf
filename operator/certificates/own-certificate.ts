// This backend's own certificate, in the one mode its FederationConfig chose. The result feeds
// desired(): the Secrets to write (selfSigned), the CertificateReady condition and when to look again.
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import { parseCertificateBundle } from "../../lib/certs/pem.ts";
import type { OwnCertificate } from "../desired/desired.ts";
import type { KubeObject } from "../desired/objects.ts";
import type { ReferencedKind } from "../kube/referenced-watch.ts";
import { selfSigned, type SelfSignedMaterial } from "./self-signed.ts";

export interface CertificateContext {
  readonly config: FederationConfig;
  /** Secrets the operator owns in the config's namespace, by name. */
  readonly owned: (name: string) => KubeObject | undefined;
  /** Objects the config references (watched by name). */
  readonly referenced: (kind: ReferencedKind, name: string) => KubeObject | undefined;
  readonly now: Date;
}

export interface EnsuredCertificate extends OwnCertificate {
  /** When the certificate needs attention next (renewal, expiry). */
  readonly requeueAfterMs?: number;
}

export interface CertificateManager {
  /** Secrets/ConfigMaps the certificate mode reads, so the controller watches them. */
  references(config: FederationConfig): [ReferencedKind, string][];
  ensure(context: CertificateContext): Promise<EnsuredCertificate>;
}

export const secretData = (object: KubeObject | undefined): Record<string, string> | undefined =>
  object === undefined
    ? undefined
    : Object.fromEntries(Object.entries((object["data"] ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

const notReady = (reason: string, message: string): EnsuredCertificate => ({
  ready: { type: "CertificateReady", status: "False", reason, message },
  secrets: [],
});

/** secretRef: a kubernetes.io/tls Secret the user (or their cert-manager) keeps. */
function fromSecret(context: CertificateContext, name: string): EnsuredCertificate {
  const data = secretData(context.referenced("Secret", name));
  if (data === undefined) return notReady("SecretNotFound", `Secret ${name} (spec.certificate.secretRef) not found; create a kubernetes.io/tls Secret for ${context.config.spec.infraDomain}`);
  const crt = data["tls.crt"];
  if (crt === undefined || data["tls.key"] === undefined) return notReady("SecretIncomplete", `Secret ${name} needs both tls.crt and tls.key`);
  const parsed = parseCertificateBundle(crt);
  if (!parsed.ok) return notReady("InvalidCertificate", `Secret ${name} tls.crt: ${parsed.problem.message}`);
  const leaf = parsed.certificates[0]!;
  if (!leaf.x509.checkHost(context.config.spec.infraDomain)) {
    return notReady("NameMismatch", `the certificate in Secret ${name} does not cover ${context.config.spec.infraDomain} (subject ${leaf.subject}); issue one with that DNS name`);
  }
  if (leaf.notAfter <= context.now) return notReady("Expired", `the certificate in Secret ${name} expired on ${leaf.notAfter.toISOString()}; renew it`);
  const untilExpiry = leaf.notAfter.getTime() - context.now.getTime();
  return {
    ready: { type: "CertificateReady", status: "True", reason: "Valid", message: `Secret ${name} holds a certificate for ${context.config.spec.infraDomain}, valid until ${leaf.notAfter.toISOString()}` },
    notAfter: leaf.notAfter,
    secrets: [],
    requeueAfterMs: Math.max(1000, Math.min(untilExpiry, 24 * 3_600_000)),
  };
}

export function createCertificateManager(): CertificateManager {
  /** What this process issued last, per config uid: the informer may not have seen it yet. */
  const issued = new Map<string, SelfSignedMaterial>();
  return {
    references(config) {
      const { certificate } = config.spec;
      if (certificate.secretRef) return [["Secret", certificate.secretRef.name]];
      if (certificate.certManager) return [["Secret", `${config.metadata.name}-tls`]];
      return [];
    },
    async ensure(context) {
      const { certificate } = context.config.spec;
      if (certificate.secretRef) return fromSecret(context, certificate.secretRef.name);
      if (certificate.selfSigned) return selfSigned(context, issued);
      return notReady("CertManagerNotSupported", "certManager mode is not implemented by this operator version; use secretRef or selfSigned");
    },
  };
}
