// The Federation Ingress (DESIGN §6): ingress-nginx terminates mutual TLS against the CA bundle
// and hands the verified client certificate to the federator as X-SSL-Certificate.
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import { outputNames } from "./names.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";
import { FEDERATOR_EXTERNAL_PORT_NAME, ownCertificateSecretName } from "./workload.ts";

const NGINX = "nginx.ingress.kubernetes.io";
export const CLIENT_CERT_SNIPPET = "proxy_set_header X-SSL-Certificate $ssl_client_escaped_cert;";

export function mutualTLSAnnotations(config: FederationConfig): Record<string, string> {
  const namespace = config.metadata.namespace ?? "default";
  return {
    [`${NGINX}/auth-tls-verify-client`]: "on",
    [`${NGINX}/auth-tls-secret`]: `${namespace}/${outputNames(config.metadata.name).caBundle}`,
    [`${NGINX}/auth-tls-verify-depth`]: String(config.spec.ingress.verifyDepth),
    [`${NGINX}/auth-tls-pass-certificate-to-upstream`]: "true",
    [`${NGINX}/backend-protocol`]: "HTTP",
    [`${NGINX}/ssl-redirect`]: "true",
    [`${NGINX}/configuration-snippet`]: CLIENT_CERT_SNIPPET,
  };
}

/** No Ingress in Passthrough mode: the federator terminates mutual TLS itself. */
export function federationIngress(config: FederationConfig, meta: (name: string) => ObjectMeta): KubeObject[] {
  if (config.spec.ingress.mode === "Passthrough") return [];
  const names = outputNames(config.metadata.name);
  const base = meta(names.federator);
  const { infraDomain, ingress } = config.spec;
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      // The mutual TLS annotations come last: extra annotations cannot weaken them.
      metadata: { ...base, annotations: { ...ingress.annotations, ...base.annotations, ...mutualTLSAnnotations(config) } },
      spec: {
        ingressClassName: ingress.className,
        tls: [{ hosts: [infraDomain], secretName: ownCertificateSecretName(config) }],
        rules: [
          {
            host: infraDomain,
            http: {
              paths: [{ path: "/federation", pathType: "Prefix", backend: { service: { name: config.spec.federator.serviceName, port: { name: FEDERATOR_EXTERNAL_PORT_NAME } } } }],
            },
          },
        ],
      },
    },
  ];
}
