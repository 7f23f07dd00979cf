// This backend's own certificate, in the one mode its FederationConfig chose. The result feeds
// desired(): the Secrets (selfSigned) or the cert-manager Certificate (certManager) to write, the
// CertificateReady condition and when to look again.
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import { isSelfSigned } from "../../lib/certs/chain.ts";
import { checkServingCertificate } from "../../lib/certs/serving-certificate.ts";
import type { OwnCertificate } from "../desired/desired.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import type { ReferencedKind } from "../kube/referenced-objects.ts";
import { fromCertManager, type CertManagerView } from "./cert-manager.ts";
import { selfSigned, type SelfSignedMaterial } from "./self-signed.ts";
import { ingressHop, type IngressHopMaterial } from "./ingress-hop.ts";

export interface CertificateContext {
  readonly config: FederationConfig;
  /** Secrets the operator owns in the config's namespace, by name. */
  readonly owned: (name: string) => KubeObject | undefined;
  /** Objects the config references (watched by name). */
  readonly referenced: (kind: ReferencedKind, name: string) => KubeObject | undefined;
  readonly now: Date;
  /** certManager mode only: whether the cluster serves cert-manager's API, and the live Certificate. */
  readonly certManager?: CertManagerView;
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


export const notReady = (reason: string, message: string): EnsuredCertificate => ({
  ready: { type: "CertificateReady", status: "False", reason, message },
  secrets: [],
});

const DAY_MS = 86_400_000;

/** A kubernetes.io/tls Secret someone else keeps (the user, or cert-manager): is it fit for federation? */
export function fromTlsSecret(context: CertificateContext, name: string, source: string): EnsuredCertificate {
  const { infraDomain } = context.config.spec;
  const data = decodedSecretData(context.referenced("Secret", name));
  if (data === undefined) return notReady("SecretNotFound", `${source} not found; create a kubernetes.io/tls Secret for ${infraDomain}`);
  const certificatePem = data["tls.crt"];
  const privateKeyPem = data["tls.key"];
  if (certificatePem === undefined || privateKeyPem === undefined) {
    const missing = [certificatePem === undefined ? "tls.crt" : undefined, privateKeyPem === undefined ? "tls.key" : undefined].filter(Boolean).join(" and ");
    return notReady("SecretIncomplete", `${source} has no ${missing}; a kubernetes.io/tls Secret needs both tls.crt and tls.key`);
  }
  const checked = checkServingCertificate({ certificatePem, privateKeyPem, caPem: data["ca.crt"], infraDomain, now: context.now });
  // Look again when the certificate may have changed meaning: a day at most, or at expiry.
  if (!checked.ok) return { ...notReady(checked.reason, `${source}: ${checked.message}`), requeueAfterMs: checked.reason === "NotYetValid" ? 60_000 : DAY_MS };
  const untilExpiry = checked.notAfter.getTime() - context.now.getTime();
  const intermediates = checked.chain.slice(1).filter((c) => !isSelfSigned(c)).length;
  return {
    ready: {
      type: "CertificateReady",
      status: "True",
      reason: "Valid",
      message: `${source} holds a certificate for ${infraDomain} with ${intermediates} intermediate(s), valid until ${checked.notAfter.toISOString()}`,
    },
    notAfter: checked.notAfter,
    secrets: [],
    requeueAfterMs: Math.max(1000, Math.min(untilExpiry, DAY_MS)),
  };
}

function ownCertificate(context: CertificateContext, issued: Map<string, SelfSignedMaterial>): Promise<EnsuredCertificate> | EnsuredCertificate {
  const { certificate } = context.config.spec;
  if (certificate.secretRef) return fromTlsSecret(context, certificate.secretRef.name, `Secret ${certificate.secretRef.name} (spec.certificate.secretRef)`);
  if (certificate.selfSigned) return selfSigned(context, issued);
  return fromCertManager(context);
}

export function createCertificateManager(): CertificateManager {
  /** What this process issued last, per config uid: the informer may not have seen it yet. */
  const issued = new Map<string, SelfSignedMaterial>();
  const hopIssued = new Map<string, IngressHopMaterial>();
  return {
    references(config) {
      const { certificate } = config.spec;
      if (certificate.secretRef) return [["Secret", certificate.secretRef.name]];
      if (certificate.certManager) return [["Secret", `${config.metadata.name}-tls`]];
      return [];
    },
    async ensure(context) {
      const own = await ownCertificate(context, issued);
      const hop = await ingressHop(context, hopIssued);
      const requeue = Math.min(own.requeueAfterMs ?? Infinity, hop.requeueAfterMs ?? Infinity);
      return { ...own, secrets: [...own.secrets, ...hop.secrets], ...(requeue === Infinity ? {} : { requeueAfterMs: requeue }) };
    },
  };
}
