// The kinds the operator reads and writes: the built-ins plus its own and cert-manager's.
// RBAC (operator/rbac.ts) lists the same.
import { BUILTIN_RESOURCES, resource, resourceLookup, type Resource } from "../../lib/kube/resources.ts";

export { resourcePath, type Resource } from "../../lib/kube/resources.ts";

export const RESOURCES = {
  ...BUILTIN_RESOURCES,
  FederationConfig: resource("federation.wire.com/v1alpha1", "FederationConfig", "federationconfigs"),
  FederationPeer: resource("federation.wire.com/v1alpha1", "FederationPeer", "federationpeers"),
  Certificate: resource("cert-manager.io/v1", "Certificate", "certificates"),
  // Outputs of spec.ingress.provider GatewayAPI and Traefik, and the GatewayClass the first one reads.
  GatewayClass: resource("gateway.networking.k8s.io/v1", "GatewayClass", "gatewayclasses"),
  Gateway: resource("gateway.networking.k8s.io/v1", "Gateway", "gateways"),
  HTTPRoute: resource("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes"),
  BackendTLSPolicy: resource("gateway.networking.k8s.io/v1", "BackendTLSPolicy", "backendtlspolicies"),
  TLSOption: resource("traefik.io/v1alpha1", "TLSOption", "tlsoptions"),
  Middleware: resource("traefik.io/v1alpha1", "Middleware", "middlewares"),
  ServersTransport: resource("traefik.io/v1alpha1", "ServersTransport", "serverstransports"),
} as const satisfies Record<string, Resource>;

export type KindName = keyof typeof RESOURCES;

export const resourceOf = resourceLookup(RESOURCES);
