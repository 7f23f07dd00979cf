// One pass of the brig sync for a FederationConfig: GET brig's remotes, plan, send the calls
// (each domain's in order, a few domains at a time), and turn brig's answers into statuses.
// Failures never throw: brig being down must not hold up the federator's outputs.
import type { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { ConditionInput } from "../desired/conditions.ts";
import type { PeerVerdict } from "../desired/peers.ts";
import { BrigError, createBrigClient, type BrigClient } from "./client.ts";
import { planBrigSync, type PeerForBrig, type RemotePlan } from "./plan.ts";
import { brigEvents, configConditions, peerConditions, unreachableConditions, type BrigEvent, type PlanOutcome } from "./status.ts";

export interface BrigSyncResult {
  /** BrigSynced of each FederationPeer the sync concerns. */
  readonly peerConditions: ReadonlyMap<string, ConditionInput>;
  /** BrigSynced and BrigStrategy of the FederationConfig. */
  readonly configConditions: readonly ConditionInput[];
  /** The new status.brigDomains. */
  readonly brigDomains: readonly string[];
  readonly events: readonly BrigEvent[];
  /** Calls that change brig, sent this pass. */
  readonly writes: number;
  /** Something failed: run again after a backoff. */
  readonly retry: boolean;
}

const CALL_WORKERS = 8;

export function peersForBrig(verdicts: readonly PeerVerdict[]): PeerForBrig[] {
  return verdicts.map((v) => ({
    name: v.peer.metadata.name,
    domain: v.peer.spec.domain,
    state: v.state,
    reason: v.accepted.reason,
    searchPolicy: v.peer.spec.searchPolicy,
    restriction: v.peer.spec.restriction,
  }));
}

async function execute(client: BrigClient, plans: readonly RemotePlan[]): Promise<PlanOutcome[]> {
  const outcomes = new Map<RemotePlan, PlanOutcome>(plans.filter((p) => p.calls.length === 0).map((plan) => [plan, { plan }]));
  const pending = plans.filter((p) => p.calls.length > 0);
  const worker = async () => {
    for (let plan = pending.shift(); plan !== undefined; plan = pending.shift()) {
      let error: BrigError | undefined;
      for (const call of plan.calls) {
        try {
          await client.send(call);
        } catch (caught) {
          error = caught instanceof BrigError ? caught : new BrigError("Unreachable", undefined, undefined, String(caught));
          break;
        }
      }
      outcomes.set(plan, error === undefined ? { plan } : { plan, error });
    }
  };
  await Promise.all(Array.from({ length: CALL_WORKERS }, worker));
  return plans.map((p) => outcomes.get(p)!);
}

/** Domains the operator keeps in brig after this pass: described ones brig lists, deleted ones not yet made harmless. */
function keptDomains(outcomes: readonly PlanOutcome[]): string[] {
  const kept = outcomes.filter(({ plan, error }) => {
    if (plan.role === "Unmanaged") return false;
    if (plan.role === "Deleted") return error !== undefined;
    return plan.current !== undefined || (error === undefined && plan.calls.length > 0);
  });
  return kept.map((o) => o.plan.domain).sort();
}

export async function syncBrig(config: FederationConfig, described: readonly PeerForBrig[], client: BrigClient = createBrigClient(config.spec.federator.services.brig)): Promise<BrigSyncResult> {
  const peers = described.filter((p) => !(p.state === "Rejected" && p.reason === "OwnDomain"));
  const previouslyManaged = config.status?.brigDomains ?? [];
  let brig;
  try {
    brig = await client.getRemotes();
  } catch (caught) {
    const error = caught instanceof BrigError ? caught : new BrigError("Unreachable", undefined, undefined, String(caught));
    const failed = unreachableConditions(error, peers.map((p) => p.name));
    return { peerConditions: failed.peers, configConditions: failed.config, brigDomains: previouslyManaged, events: [], writes: 0, retry: true };
  }
  const plans = planBrigSync({ peers, previouslyManaged, unmanagedRemotes: config.spec.brig.unmanagedRemotes, brig });
  const outcomes = await execute(client, plans);
  return {
    peerConditions: peerConditions(outcomes),
    configConditions: configConditions(outcomes, config.spec.strategy, brig.strategy),
    brigDomains: keptDomains(outcomes),
    events: brigEvents(outcomes),
    writes: outcomes.reduce((n, o) => n + (o.error === undefined ? o.plan.calls.length : 0), 0),
    retry: outcomes.some((o) => o.error !== undefined),
  };
}

/** Per-config backoff between brig retries: 1 s, 2 s, 4 s … up to a minute. */
export class BrigBackoff {
  readonly #failures = new Map<string, number>();

  next(key: string, failed: boolean): number | undefined {
    if (!failed) {
      this.#failures.delete(key);
      return undefined;
    }
    const count = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, count);
    return Math.min(1000 * 2 ** (count - 1), 60_000);
  }
}
