// Gateway API: a Gateway whose HTTPS listener validates client certificates against the CA bundle
// (spec.tls.frontend, Gateway API v1.5+) and an HTTPRoute to the federator. An implementation that
// does not support frontend validation may accept the Gateway and report it Programmed while
// verifying no client certificate at all (Traefik v3.7's Gateway provider does): so the operator
// programs nothing unless the GatewayClass lists the feature in status.supportedFeatures. The hop to
// the federator is authenticated the same way as with the other controllers: a BackendTLSPolicy
// verifies the federator against the hop CA, and the Gateway presents the operator-issued client
// certificate (spec.tls.backend.clientCertificateRef); both features must be listed too, or a
// pod could forge the certificate header the route would carry.
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";
import type { ConditionInput } from "./conditions.ts";
import { hopServerNames, outputNames } from "./names.ts";
import { FEDERATOR_EXTERNAL_PORT_NAME, ownCertificateSecretName } from "./workload.ts";

export const GATEWAY_API = "gateway.networking.k8s.io/v1";
export const FRONTEND_VALIDATION_FEATURE = "GatewayFrontendClientCertificateValidation";
/** sigs.k8s.io/gateway-api v1.6 pkg/features: what the hop to the federator needs. */
export const HOP_FEATURES = ["BackendTLSPolicy", "GatewayBackendClientCertificate"] as const;
const LISTENER = "federation";

export interface GatewayIngress {
  readonly objects: readonly KubeObject[];
  readonly condition: ConditionInput;
}

/** The feature names a GatewayClass reports supporting (status.supportedFeatures[].name). */
export function supportedFeatures(gatewayClass: KubeObject | undefined): ReadonlySet<string> {
  const status = gatewayClass?.["status"] as { supportedFeatures?: readonly ({ name?: unknown } | string)[] } | undefined;
  const names = (status?.supportedFeatures ?? []).map((f) => (typeof f === "string" ? f : f.name)).filter((n): n is string => typeof n === "string");
  return new Set(names);
}

/** Gateway + HTTPRoute when the GatewayClass enforces client certificates; else nothing and why. */
export function gatewayIngress(config: FederationConfig, meta: (name: string) => ObjectMeta, gatewayClass: KubeObject | undefined, pems: { readonly caBundle: string; readonly hopCA: string }): GatewayIngress {
  const className = config.spec.ingress.className;
  const alternatives = "use spec.ingress.provider IngressNginx (ingress-nginx or Traefik's ingress-nginx provider), Traefik, or Passthrough, or a GatewayClass that supports it";
  if (gatewayClass === undefined) {
    return { objects: [], condition: { type: "IngressReady", status: "False", reason: "GatewayClassNotFound", message: `GatewayClass ${className} (spec.ingress.className) does not exist; no Gateway is programmed; ${alternatives}` } };
  }
  const supported = supportedFeatures(gatewayClass);
  const missing = [FRONTEND_VALIDATION_FEATURE, ...HOP_FEATURES].filter((feature) => !supported.has(feature));
  if (missing.length > 0) {
    const frontend = missing.includes(FRONTEND_VALIDATION_FEATURE);
    const risk = frontend ? "it would accept remotes without verifying their certificates" : "the federator could not tell the Gateway from a pod that forges the certificate header";
    return {
      objects: [],
      condition: {
        type: "IngressReady",
        status: "False",
        reason: frontend ? "ClientCertificateValidationUnsupported" : "IngressHopUnsupported",
        message: `GatewayClass ${className} does not list ${missing.join(", ")} in status.supportedFeatures, so ${risk}; no Gateway or HTTPRoute is programmed; ${alternatives}`,
      },
    };
  }
  const names = outputNames(config.metadata.name);
  return {
    objects: gatewayObjects(config, meta, pems),
    condition: { type: "IngressReady", status: "True", reason: "GatewayProgrammed", message: `Gateway ${names.federator} (class ${className}) serves https://${config.spec.infraDomain}/federation with client certificate validation` },
  };
}

function gatewayObjects(config: FederationConfig, meta: (name: string) => ObjectMeta, pems: { readonly caBundle: string; readonly hopCA: string }): KubeObject[] {
  const names = outputNames(config.metadata.name);
  const { infraDomain, federator } = config.spec;
  return [
    // Gateway API's core support for CA references is a ConfigMap with ca.crt.
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.caBundle), data: { "ca.crt": pems.caBundle } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.hopCA), data: { "ca.crt": pems.hopCA } },
    {
      apiVersion: GATEWAY_API,
      kind: "BackendTLSPolicy",
      metadata: meta(names.federator),
      spec: {
        targetRefs: [{ group: "", kind: "Service", name: federator.serviceName, sectionName: FEDERATOR_EXTERNAL_PORT_NAME }],
        validation: { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: names.hopCA }], hostname: hopServerNames(config)[0] },
      },
    },
    {
      apiVersion: GATEWAY_API,
      kind: "Gateway",
      metadata: meta(names.federator),
      spec: {
        gatewayClassName: config.spec.ingress.className,
        listeners: [
          {
            name: LISTENER,
            protocol: "HTTPS",
            port: 443,
            hostname: infraDomain,
            tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: ownCertificateSecretName(config) }] },
            allowedRoutes: { namespaces: { from: "Same" } },
          },
        ],
        tls: {
          frontend: { default: { validation: { mode: "AllowValidOnly", caCertificateRefs: [{ group: "", kind: "ConfigMap", name: names.caBundle }] } } },
          backend: { clientCertificateRef: { group: "", kind: "Secret", name: names.hopClient } },
        },
      },
    },
    {
      apiVersion: GATEWAY_API,
      kind: "HTTPRoute",
      metadata: meta(names.federator),
      spec: {
        parentRefs: [{ name: names.federator, sectionName: LISTENER }],
        hostnames: [infraDomain],
        rules: [{ matches: [{ path: { type: "PathPrefix", value: "/federation" } }], backendRefs: [{ name: federator.serviceName, port: federator.ports.external }] }],
      },
    },
  ];
}
