// Only the ingress controller may reach the federator's external port, and only the Wire
// components of the backend's own namespace (spec.federator.internalClients: brig, galley,
// cargohold, background-worker by default) its internal port. The internal port is the trust
// boundary: whatever reaches it sends requests to other backends as this backend, with its
// certificate.
import { ingressProvider, type FederationConfig } from "../../lib/api/v1alpha1.ts";
import { federatorSelector, outputNames } from "./names.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";

/** ingress-nginx's standard install; a cluster with another layout adds its own policy. */
export const INGRESS_CONTROLLER_PEERS = [
  {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
    podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } },
  },
];

export function federatorNetworkPolicy(config: FederationConfig, meta: (name: string) => ObjectMeta): KubeObject {
  const { ports } = config.spec.federator;
  // In Passthrough mode remotes connect straight to the external port through the LoadBalancer.
  const external = ingressProvider(config.spec.ingress) === "Passthrough" ? {} : { from: INGRESS_CONTROLLER_PEERS };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(outputNames(config.metadata.name).federator),
    spec: {
      podSelector: { matchLabels: federatorSelector(config.metadata.name) },
      policyTypes: ["Ingress"],
      ingress: [
        { from: config.spec.federator.internalClients.map((podSelector) => ({ podSelector })), ports: [{ protocol: "TCP", port: ports.internal }] },
        { ...external, ports: [{ protocol: "TCP", port: ports.external }] },
      ],
    },
  };
}
