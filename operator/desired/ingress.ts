// The Federation Ingress: the ingress controller terminates remote backends' mutual TLS against the
// CA bundle and hands the verified leaf to the federator in a header it sets and overwrites on
// every request. The federator reads only that header (federatorCertificateHeader), so a header a
// client sends itself never counts. No `*-snippet` annotation unless the config asks for Wire's
// chart layout (spec.ingress.wireChartSnippet).
import { ingressProvider, type FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { FederatorConfig } from "../../lib/api/federator-config.ts";
import { hopServerNames, outputNames } from "./names.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";
import { FEDERATOR_EXTERNAL_PORT_NAME, ownCertificateSecretName } from "./workload.ts";
import { traefikObjects, traefikRouterAnnotations } from "./ingress-traefik.ts";
import { gatewayIngress } from "./ingress-gateway.ts";
import type { ConditionInput } from "./conditions.ts";

const NGINX = "nginx.ingress.kubernetes.io";
/** wire-server's chart: charts/nginx-ingress-services/templates/ingress_federator.yaml. */
export const CLIENT_CERT_SNIPPET = "proxy_set_header X-SSL-Certificate $ssl_client_escaped_cert;";

/** The header the federator reads the remote's certificate from, for this config's controller. */
export function federatorCertificateHeader(config: FederationConfig): FederatorConfig["listen"]["clientCertificateHeader"] {
  const provider = ingressProvider(config.spec.ingress);
  if (provider === "Traefik") return "X-Forwarded-Tls-Client-Cert";
  if (provider === "IngressNginx" && config.spec.ingress.wireChartSnippet) return "X-SSL-Certificate";
  return "ssl-client-cert";
}

/**
 * ingress-nginx (and Traefik's ingress-nginx provider): verify the client against the CA bundle,
 * pass the verified leaf as ssl-client-cert, and let bodies as large as the federator accepts
 * through (ingress-nginx's default proxy-body-size is 1m).
 */
export function mutualTLSAnnotations(config: FederationConfig): Record<string, string> {
  const namespace = config.metadata.namespace ?? "default";
  return {
    [`${NGINX}/auth-tls-verify-client`]: "on",
    [`${NGINX}/auth-tls-secret`]: `${namespace}/${outputNames(config.metadata.name).caBundle}`,
    [`${NGINX}/auth-tls-verify-depth`]: String(config.spec.ingress.verifyDepth),
    [`${NGINX}/auth-tls-pass-certificate-to-upstream`]: "true",
    ...hopAnnotations(config),
    [`${NGINX}/ssl-redirect`]: "true",
    [`${NGINX}/proxy-body-size`]: String(config.spec.federator.maxBodyBytes),
    ...(config.spec.ingress.wireChartSnippet ? { [`${NGINX}/configuration-snippet`]: CLIENT_CERT_SNIPPET } : {}),
  };
}

/**
 * The hop to the federator over TLS: the controller presents the operator-issued client
 * certificate (proxy-ssl-secret: tls.crt, tls.key) and verifies the federator against the hop CA
 * (its ca.crt) under the Service's name, whatever address the Service resolves to.
 */
function hopAnnotations(config: FederationConfig): Record<string, string> {
  const namespace = config.metadata.namespace ?? "default";
  return {
    [`${NGINX}/backend-protocol`]: "HTTPS",
    [`${NGINX}/proxy-ssl-secret`]: `${namespace}/${outputNames(config.metadata.name).hopClient}`,
    [`${NGINX}/proxy-ssl-verify`]: "on",
    [`${NGINX}/proxy-ssl-verify-depth`]: "1",
    [`${NGINX}/proxy-ssl-name`]: hopServerNames(config)[0],
    [`${NGINX}/proxy-ssl-server-name`]: "on",
  };
}

function ingressObject(config: FederationConfig, meta: (name: string) => ObjectMeta, controllerAnnotations: Record<string, string>): KubeObject {
  const base = meta(outputNames(config.metadata.name).federator);
  const { infraDomain, ingress } = config.spec;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    // The controller's annotations come last: extra annotations cannot weaken them.
    metadata: { ...base, annotations: { ...ingress.annotations, ...base.annotations, ...controllerAnnotations } },
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
  };
}

export interface IngressContext {
  /** The GatewayClass named by spec.ingress.className (GatewayAPI only); undefined when absent. */
  readonly gatewayClass?: KubeObject | undefined;
  readonly caBundlePem: string;
  /** The ingress hop's CA (certificates/ingress-hop.ts), which the Gateway's BackendTLSPolicy names. */
  readonly hopCAPem: string;
}

export interface FederationIngress {
  readonly objects: readonly KubeObject[];
  readonly condition: ConditionInput;
}

/** The objects that expose the federator for this config's provider, and the IngressReady condition. */
export function federationIngress(config: FederationConfig, meta: (name: string) => ObjectMeta, context: IngressContext): FederationIngress {
  const names = outputNames(config.metadata.name);
  const configured = (objects: KubeObject[], controller: string): FederationIngress => ({
    objects,
    condition: { type: "IngressReady", status: "True", reason: "Configured", message: `Ingress ${names.federator} (${controller}) serves https://${config.spec.infraDomain}/federation with mutual TLS` },
  });
  switch (ingressProvider(config.spec.ingress)) {
    case "Passthrough":
      return { objects: [], condition: { type: "IngressReady", status: "True", reason: "Passthrough", message: `Service ${names.externalService} reaches the federator, which terminates mutual TLS itself` } };
    case "IngressNginx":
      return configured([ingressObject(config, meta, mutualTLSAnnotations(config))], "ingress-nginx annotations");
    case "Traefik":
      return configured([ingressObject(config, meta, traefikRouterAnnotations(config)), ...traefikObjects(config, meta)], "Traefik router, TLSOption and passTLSClientCert");
    case "GatewayAPI":
      return gatewayIngress(config, meta, context.gatewayClass, { caBundle: context.caBundlePem, hopCA: context.hopCAPem });
  }
}
