// Folds a brig sync's conditions into the statuses desired() computed, keeping each condition's
// lastTransitionTime while its status holds (so a resync with brig in agreement writes nothing).
import type { FederationConfig, FederationConfigStatus, FederationPeerStatus } from "../../lib/api/v1alpha1.ts";
import { mergeConditions } from "../desired/conditions.ts";
import type { DesiredState } from "../desired/desired.ts";
import type { BrigSyncResult } from "./sync.ts";

export function withBrigStatuses(state: DesiredState, config: FederationConfig, result: BrigSyncResult, now: Date): DesiredState {
  const peerStatuses = new Map<string, FederationPeerStatus>(state.peerStatuses);
  for (const verdict of state.verdicts) {
    const name = verdict.peer.metadata.name;
    const status = peerStatuses.get(name);
    const condition = result.peerConditions.get(name);
    if (status === undefined || condition === undefined) continue;
    const merged = mergeConditions(verdict.peer.status?.conditions, [condition], verdict.peer.metadata.generation, now);
    peerStatuses.set(name, { ...status, conditions: [...(status.conditions ?? []), ...merged] });
  }
  const configStatus: FederationConfigStatus = {
    ...state.configStatus,
    conditions: [...(state.configStatus.conditions ?? []), ...mergeConditions(config.status?.conditions, result.configConditions, config.metadata.generation, now)],
    brigDomains: [...result.brigDomains],
  };
  return { ...state, peerStatuses, configStatus };
}
