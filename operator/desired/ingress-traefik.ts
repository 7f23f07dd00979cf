// Traefik native (its Kubernetes Ingress provider plus its CRDs): the router of the Federation
// Ingress requires and verifies a client certificate against the CA bundle (TLSOption) and hands
// the verified chain to the federator as X-Forwarded-Tls-Client-Cert (passTLSClientCert Middleware,
// which sets and overwrites that header). Followed: traefik/traefik v3.7
// pkg/provider/kubernetes/ingress/annotations.go (router.* annotations),
// pkg/middlewares/passtlsclientcert (header format), pkg/provider/kubernetes/crd (ca.crt of a Secret;
// ServersTransport rootCAs and certificatesSecrets). The hop to the federator is HTTPS through a
// ServersTransport that presents the operator-issued client certificate and verifies the federator
// against the hop CA; the federator Service names it (service.* annotations, read by the Ingress provider).
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";
import { hopServerNames, outputNames } from "./names.ts";

const TRAEFIK = "traefik.ingress.kubernetes.io";
export const TRAEFIK_API_VERSION = "traefik.io/v1alpha1";

function names(config: FederationConfig) {
  const federator = outputNames(config.metadata.name).federator;
  return { tlsOption: `${federator}-mtls`, middleware: `${federator}-client-cert`, serversTransport: `${federator}-hop` };
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

/** On the federator Service: Traefik dials it over HTTPS through the hop's ServersTransport. */
export function traefikServiceAnnotations(config: FederationConfig): Record<string, string> {
  return {
    [`${TRAEFIK}/service.serversscheme`]: "https",
    [`${TRAEFIK}/service.serverstransport`]: crdReference(config, names(config).serversTransport),
  };
}

export function traefikObjects(config: FederationConfig, meta: (name: string) => ObjectMeta): KubeObject[] {
  const n = names(config);
  const hop = outputNames(config.metadata.name).hopClient;
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
    {
      apiVersion: TRAEFIK_API_VERSION,
      kind: "ServersTransport",
      metadata: meta(n.serversTransport),
      spec: {
        serverName: hopServerNames(config)[0],
        rootCAs: [{ secret: hop }],
        certificatesSecrets: [hop],
      },
    },
  ];
}
