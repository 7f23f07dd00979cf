// Traefik native (its Kubernetes Ingress provider plus its CRDs): the router of the Federation
// Ingress requires and verifies a client certificate against the CA bundle (TLSOption) and hands
// the verified chain to the federator as X-Forwarded-Tls-Client-Cert (passTLSClientCert Middleware,
// which sets and overwrites that header). Followed: traefik/traefik v3.7
// pkg/provider/kubernetes/ingress/annotations.go (router.* annotations),
// pkg/middlewares/passtlsclientcert (header format), pkg/provider/kubernetes/crd (ca.crt of a Secret).
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";
import { outputNames } from "./names.ts";

const TRAEFIK = "traefik.ingress.kubernetes.io";
export const TRAEFIK_API_VERSION = "traefik.io/v1alpha1";

function names(config: FederationConfig) {
  const federator = outputNames(config.metadata.name).federator;
  return { tlsOption: `${federator}-mtls`, middleware: `${federator}-client-cert` };
}

/** Traefik refers to a CRD object of the Kubernetes CRD provider as <namespace>-<name>@kubernetescrd. */
const crdReference = (config: FederationConfig, name: string) => `${config.metadata.namespace ?? "default"}-${name}@kubernetescrd`;

export function traefikRouterAnnotations(config: FederationConfig): Record<string, string> {
  const n = names(config);
  return {
    [`${TRAEFIK}/router.entrypoints`]: "websecure",
    [`${TRAEFIK}/router.tls`]: "true",
    [`${TRAEFIK}/router.tls.options`]: crdReference(config, n.tlsOption),
    [`${TRAEFIK}/router.middlewares`]: crdReference(config, n.middleware),
  };
}

export function traefikObjects(config: FederationConfig, meta: (name: string) => ObjectMeta): KubeObject[] {
  const n = names(config);
  return [
    {
      apiVersion: TRAEFIK_API_VERSION,
      kind: "TLSOption",
      metadata: meta(n.tlsOption),
      spec: {
        minVersion: "VersionTLS12",
        // Traefik refuses a Host that does not match the SNI's TLS options (421), so this option
        // cannot be bypassed by connecting with another server name.
        sniStrict: true,
        clientAuth: { secretNames: [outputNames(config.metadata.name).caBundle], clientAuthType: "RequireAndVerifyClientCert" },
      },
    },
    { apiVersion: TRAEFIK_API_VERSION, kind: "Middleware", metadata: meta(n.middleware), spec: { passTLSClientCert: { pem: true } } },
  ];
}
