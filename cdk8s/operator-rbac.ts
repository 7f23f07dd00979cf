// Renders the operator's RBAC list (operator/rbac.ts) as Roles and bindings: one Role per watched
// namespace, one for leader election in the operator's namespace, and a ClusterRole only when
// there are cluster-wide rules. Nothing is granted that is not in the list.
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import type { PolicyRule } from "../operator/rbac.ts";

export interface OperatorRules {
  readonly watchedNamespace: readonly PolicyRule[];
  readonly leaderElection: readonly PolicyRule[];
  readonly cluster: readonly PolicyRule[];
}

export interface OperatorRbacProps {
  readonly name: string;
  readonly namespace: string;
  readonly watchedNamespaces: readonly string[];
  readonly serviceAccount: kplus.ServiceAccount;
  readonly rules: OperatorRules;
  readonly labels: Readonly<Record<string, string>>;
}

export class OperatorRbac extends Construct {
  constructor(scope: Construct, id: string, props: OperatorRbacProps) {
    super(scope, id);
    const { name, namespace, labels, serviceAccount, rules } = props;
    for (const ns of props.watchedNamespaces) {
      const metadata = { name, namespace: ns, labels: { ...labels } };
      const role = new kplus.Role(this, `watched-${ns}`, { metadata });
      for (const rule of rules.watchedNamespace) role.allow([...rule.verbs], ...resourcesOf(rule));
      new kplus.RoleBinding(this, `watched-${ns}-binding`, { metadata, role }).addSubjects(serviceAccount);
    }
    const metadata = { name: `${name}-leader-election`, namespace, labels: { ...labels } };
    const leaderElection = new kplus.Role(this, "leader-election", { metadata });
    for (const rule of rules.leaderElection) leaderElection.allow([...rule.verbs], ...resourcesOf(rule));
    new kplus.RoleBinding(this, "leader-election-binding", { metadata, role: leaderElection }).addSubjects(serviceAccount);
    if (rules.cluster.length > 0) {
      // Cluster-scoped, so named after the install's namespace: two installs of the operator never share one.
      const clusterMetadata = { name: `${name}:${namespace}`, labels: { ...labels } };
      const role = new kplus.ClusterRole(this, "cluster", { metadata: clusterMetadata });
      for (const rule of rules.cluster) role.allow([...rule.verbs], ...resourcesOf(rule).map(asEndpoint));
      new kplus.ClusterRoleBinding(this, "cluster-binding", { metadata: clusterMetadata, role }).addSubjects(serviceAccount);
    }
  }
}

/** cdk8s-plus renders one rule per resource; the product of groups, resources and names grants exactly `rule`. */
export function resourcesOf(rule: PolicyRule): kplus.IApiResource[] {
  const names: readonly (string | undefined)[] = rule.resourceNames ?? [undefined];
  return rule.apiGroups.flatMap((apiGroup) =>
    rule.resources.flatMap((resourceType) =>
      names.map((resourceName): kplus.IApiResource => ({ apiGroup, resourceType, ...(resourceName === undefined ? {} : { resourceName }) })),
    ),
  );
}

function asEndpoint(resource: kplus.IApiResource): kplus.IApiEndpoint {
  return { asApiResource: () => resource, asNonApiResource: () => undefined };
}
