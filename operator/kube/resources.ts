// REST paths of the kinds the operator reads and writes. A fixed table instead of discovery:
// the operator knows exactly what it touches, and RBAC (operator/rbac.ts) lists the same.
export interface Resource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
}

const r = (apiVersion: string, kind: string, plural: string): Resource => ({ apiVersion, kind, plural });

export const RESOURCES = {
  FederationConfig: r("federation.wire.com/v1alpha1", "FederationConfig", "federationconfigs"),
  FederationPeer: r("federation.wire.com/v1alpha1", "FederationPeer", "federationpeers"),
  Secret: r("v1", "Secret", "secrets"),
  ConfigMap: r("v1", "ConfigMap", "configmaps"),
  Service: r("v1", "Service", "services"),
  ServiceAccount: r("v1", "ServiceAccount", "serviceaccounts"),
  Event: r("v1", "Event", "events"),
  Deployment: r("apps/v1", "Deployment", "deployments"),
  Ingress: r("networking.k8s.io/v1", "Ingress", "ingresses"),
  NetworkPolicy: r("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
  Role: r("rbac.authorization.k8s.io/v1", "Role", "roles"),
  RoleBinding: r("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
  Lease: r("coordination.k8s.io/v1", "Lease", "leases"),
  Certificate: r("cert-manager.io/v1", "Certificate", "certificates"),
} as const satisfies Record<string, Resource>;

export type KindName = keyof typeof RESOURCES;

export function resourceOf(kind: string): Resource {
  const found = (RESOURCES as Record<string, Resource>)[kind];
  if (found === undefined) throw new Error(`the operator has no REST mapping for kind ${kind}`);
  return found;
}

/** `/api/v1/namespaces/ns/secrets[/name[/sub]]` and the like. */
export function resourcePath(resource: Resource, namespace: string, name?: string, subresource?: string): string {
  const root = resource.apiVersion.includes("/") ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const tail = name === undefined ? "" : `/${encodeURIComponent(name)}${subresource === undefined ? "" : `/${subresource}`}`;
  return `${root}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}${tail}`;
}
