// certManager mode: the operator owns a cert-manager.io/v1 Certificate for infraDomain and uses the
// kubernetes.io/tls Secret cert-manager writes for it. Pure: what to ask cert-manager for, and what
// the Secret (or its absence, or a cluster without cert-manager) means for CertificateReady.
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { outputNames } from "../desired/names.ts";
import { fromTlsSecret, notReady, type CertificateContext, type EnsuredCertificate } from "./own-certificate.ts";

export const CERT_MANAGER_API_VERSION = "cert-manager.io/v1";
/** cert-manager refuses a commonName longer than X.520 allows; the SAN carries the name anyway. */
const MAX_COMMON_NAME = 64;
/** How soon to look again when the cluster has no Certificate API (cert-manager may be installed later). */
export const CERT_MANAGER_RECHECK_MS = 10_000;

/** The Certificate and the Secret it produces share the name the Deployment and Ingress mount. */
export const certificateName = (config: FederationConfig): string => outputNames(config.metadata.name).tls;

/** The cert-manager Certificate (metadata beyond the name is added by desired()). */
export function desiredCertificate(config: FederationConfig): KubeObject {
  const spec = config.spec.certificate.certManager;
  if (spec === undefined) throw new Error("desiredCertificate: the config is not in certManager mode");
  const { infraDomain } = config.spec;
  return {
    apiVersion: CERT_MANAGER_API_VERSION,
    kind: "Certificate",
    metadata: { name: certificateName(config) },
    spec: {
      secretName: certificateName(config),
      ...(infraDomain.length <= MAX_COMMON_NAME ? { commonName: infraDomain } : {}),
      dnsNames: [infraDomain],
      duration: spec.duration,
      renewBefore: spec.renewBefore,
      issuerRef: { name: spec.issuerRef.name, kind: spec.issuerRef.kind, group: spec.issuerRef.group },
      // Wire presents the same certificate as TLS server and TLS client.
      usages: ["digital signature", "server auth", "client auth"],
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  };
}

/** What the controller knows about cert-manager in the config's namespace. */
export interface CertManagerView {
  /** False when the API server has no cert-manager.io/v1 Certificate resource. */
  readonly installed: boolean;
  /** The live Certificate by name, from the operator's watch. */
  readonly certificate: (name: string) => KubeObject | undefined;
}

interface CertificateStatus {
  readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
}

function certManagerSays(certificate: KubeObject | undefined): string {
  const ready = (certificate?.["status"] as CertificateStatus | undefined)?.conditions?.find((c) => c.type === "Ready");
  if (ready === undefined) return "cert-manager has not reported on it yet";
  return `cert-manager says Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ""}${ready.message ? `: ${ready.message}` : ""}`;
}

export function fromCertManager(context: CertificateContext): EnsuredCertificate {
  const { config } = context;
  const view = context.certManager;
  if (view === undefined || !view.installed) {
    return {
      ...notReady(
        "CertManagerNotInstalled",
        "this cluster has no cert-manager.io/v1 Certificate API (CRD certificates.cert-manager.io); install cert-manager, or use spec.certificate.secretRef or selfSigned",
      ),
      requeueAfterMs: CERT_MANAGER_RECHECK_MS,
    };
  }
  const name = certificateName(config);
  const objects = [desiredCertificate(config)];
  const secret = context.referenced("Secret", name);
  if (secret === undefined) {
    const issuer = config.spec.certificate.certManager!.issuerRef;
    return {
      ...notReady("Issuing", `waiting for cert-manager to write Secret ${name} for Certificate ${name} (${issuer.kind} ${issuer.name}); ${certManagerSays(view.certificate(name))}`),
      objects,
    };
  }
  return { ...fromTlsSecret(context, name, `Secret ${name} (written by cert-manager for Certificate ${name})`), objects };
}
