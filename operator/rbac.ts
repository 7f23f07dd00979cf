// Everything the operator may do, in one place: the cdk8s install renders these rules and
// a test compares the rendered Roles with them. The operator works in the namespaces it is told to
// watch and holds its Lease in its own namespace; cluster-wide it only reads GatewayClasses.
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

const READ = ["get", "list", "watch"] as const;
const OWN = ["get", "list", "watch", "create", "update", "patch", "delete"] as const;

/** A Role with these rules is bound in every namespace the operator watches. */
export const WATCHED_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: ["federation.wire.com"], resources: ["federationconfigs", "federationpeers"], verbs: READ },
  { apiGroups: ["federation.wire.com"], resources: ["federationconfigs/status", "federationpeers/status"], verbs: ["get", "update", "patch"] },
  // Referenced CA bundles and certificates, and the outputs it owns. Secrets and ConfigMaps are
  // listed and watched as metadata only (names and versions; operator/kube/referenced-objects.ts)
  // or by the operator's own label: it reads the data of no Secret it does not reference or own.
  { apiGroups: [""], resources: ["secrets", "configmaps", "services", "serviceaccounts"], verbs: OWN },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: OWN },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: OWN },
  // The federator's own Role in Watch mode (get/watch of its ConfigMap and Secrets only).
  { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: OWN },
  { apiGroups: ["cert-manager.io"], resources: ["certificates"], verbs: OWN },
  // The Federation Ingress of spec.ingress.provider GatewayAPI and Traefik.
  { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways", "httproutes", "backendtlspolicies"], verbs: OWN },
  { apiGroups: ["traefik.io"], resources: ["tlsoptions", "middlewares", "serverstransports"], verbs: OWN },
  { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
];

/** A Role with these rules is bound in the operator's own namespace, for leader election. */
export const LEADER_ELECTION_RULES: readonly PolicyRule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
  { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
];

/**
 * Cluster-wide, read only: GatewayClasses (cluster-scoped), whose status.supportedFeatures decides
 * whether a GatewayAPI config gets a Gateway at all (operator/desired/ingress-gateway.ts).
 */
export const CLUSTER_RULES: readonly PolicyRule[] = [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["gatewayclasses"], verbs: READ }];
