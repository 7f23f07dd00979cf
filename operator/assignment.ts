// Which FederationConfig each FederationPeer belongs to: the one it names, or else the only
// one in its namespace. Peers that cannot be placed get a reason a person can act on.
import type { ConditionInput } from "./desired/conditions.ts";

export interface PeerRef {
  readonly name: string;
  readonly federationConfig: string | undefined;
}

export type Assignment = { readonly config: string } | { readonly config: undefined; readonly reason: ConditionInput };

export function assignPeer(peer: PeerRef, configs: readonly string[]): Assignment {
  if (peer.federationConfig !== undefined) {
    if (configs.includes(peer.federationConfig)) return { config: peer.federationConfig };
    return unassigned("FederationConfigNotFound", `spec.federationConfig names ${peer.federationConfig}, which does not exist in this namespace`);
  }
  if (configs.length === 1) return { config: configs[0]! };
  if (configs.length === 0) return unassigned("NoFederationConfig", "no FederationConfig exists in this namespace; create one or set spec.federationConfig");
  return unassigned("AmbiguousFederationConfig", `${configs.length} FederationConfigs exist in this namespace (${[...configs].sort().join(", ")}); set spec.federationConfig`);
}

function unassigned(reason: string, message: string): Assignment {
  return { config: undefined, reason: { type: "Accepted", status: "False", reason, message } };
}
