// REST paths of Kubernetes kinds. A fixed table instead of discovery: each process knows exactly
// what it touches (and its RBAC lists the same); a process adds its own kinds to these built-ins.
export interface Resource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
}

export const resource = (apiVersion: string, kind: string, plural: string): Resource => ({ apiVersion, kind, plural });

export const BUILTIN_RESOURCES = {
  Secret: resource("v1", "Secret", "secrets"),
  ConfigMap: resource("v1", "ConfigMap", "configmaps"),
  Service: resource("v1", "Service", "services"),
  ServiceAccount: resource("v1", "ServiceAccount", "serviceaccounts"),
  Event: resource("v1", "Event", "events"),
  Deployment: resource("apps/v1", "Deployment", "deployments"),
  Ingress: resource("networking.k8s.io/v1", "Ingress", "ingresses"),
  NetworkPolicy: resource("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
  Role: resource("rbac.authorization.k8s.io/v1", "Role", "roles"),
  RoleBinding: resource("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
  Lease: resource("coordination.k8s.io/v1", "Lease", "leases"),
} as const satisfies Record<string, Resource>;

/** `/api/v1/namespaces/ns/secrets[/name[/sub]]` and the like. */
/** The REST path of `resource` in `namespace`, or of a cluster-scoped one (`namespace` undefined). */
export function resourcePath(resource: Resource, namespace: string | undefined, name?: string, subresource?: string): string {
  const root = resource.apiVersion.includes("/") ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const tail = name === undefined ? "" : `/${encodeURIComponent(name)}${subresource === undefined ? "" : `/${subresource}`}`;
  const scope = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${root}${scope}/${resource.plural}${tail}`;
}

/** A lookup by kind over a table of resources, for layers that get objects of any kind. */
export type ResourceOf = (kind: string) => Resource;

export function resourceLookup(table: Readonly<Record<string, Resource>>): ResourceOf {
  return (kind) => {
    const found = table[kind];
    if (found === undefined) throw new Error(`no REST mapping for kind ${kind}`);
    return found;
  };
}
