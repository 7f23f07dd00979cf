// brig's answers as conditions and Events a person can act on. Pure.
import type { Strategy } from "../../lib/api/v1alpha1.ts";
import type { ConditionInput } from "../desired/conditions.ts";
import { BRIG_STRATEGY, describeRemote, STRATEGY_FROM_BRIG, type BrigStrategy } from "./brig-api.ts";
import type { BrigError } from "./client.ts";
import type { RemotePlan } from "./plan.ts";

export const BRIG_SYNCED = "BrigSynced";
export const BRIG_STRATEGY_CONDITION = "BrigStrategy";

export interface PlanOutcome {
  readonly plan: RemotePlan;
  /** The first call brig refused or did not answer; the calls after it were not sent. */
  readonly error?: BrigError;
}

export interface BrigEvent {
  /** The FederationPeer the Event is about; undefined: the FederationConfig. */
  readonly peer?: string;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

const RETRYING = "retrying with backoff (the federator's allow list does not wait for brig)";

/** How an admin removes what brig keeps: brig has no API for it (FederationRemotesAPI), only its Cassandra table and config file. */
export const removalHint = (domain: string) =>
  `to remove it, delete it in brig's Cassandra (cqlsh: DELETE FROM brig.federation_remotes WHERE domain = '${domain}'; DELETE FROM brig.federation_remote_teams WHERE domain = '${domain}') and from brig.config.optSettings.setFederationDomainConfigs if it is listed there`;

const cond = (status: "True" | "False", reason: string, message: string): ConditionInput => ({ type: BRIG_SYNCED, status, reason, message });

function failureCondition(outcome: PlanOutcome, error: BrigError): ConditionInput {
  const { plan } = outcome;
  const brigSaid = `brig said: ${error.message}`;
  if (error.failure === "Unreachable") return cond("False", "BrigUnreachable", `${error.brigMessage}; ${plan.domain} is not yet ${describeRemote(plan.target)} in brig; ${RETRYING}`);
  // Brig/API/Internal.hs: "...brig config file is deprecated, but as long as we do that, ..." (add and update).
  if (/config file/i.test(error.brigMessage)) {
    const theirs = plan.current === undefined ? "other settings" : describeRemote(plan.current);
    return cond(
      "False",
      "BrigConfigFile",
      `brig's config file (brig.config.optSettings.setFederationDomainConfigs) defines ${plan.domain} with ${theirs}, and brig refuses to change it through its API; this FederationPeer asks for ${describeRemote(plan.target)}. Remove ${plan.domain} from brig's config file and restart brig, or make the FederationPeer match; ${brigSaid}`,
    );
  }
  if (/maximum number of remote/i.test(error.brigMessage)) {
    return cond("False", "BrigRemoteLimit", `brig holds the most remote backends it allows and refuses to add ${plan.domain}; ${brigSaid}`);
  }
  return cond("False", "BrigRefused", `brig refused to make ${plan.domain} ${describeRemote(plan.target)}; ${brigSaid}`);
}

function successCondition(plan: RemotePlan): ConditionInput {
  if (plan.role === "Federate") return cond("True", "Synced", `brig lists ${plan.domain} with ${describeRemote(plan.target)}`);
  const why = plan.role === "Suspended" ? "suspended" : "not accepted";
  if (plan.current === undefined && plan.calls.length === 0) return cond("True", "NotInBrig", `${plan.domain} is ${why} and brig does not list it`);
  return cond(
    "True",
    "Neutralized",
    `${plan.domain} is ${why}: brig keeps its entry (brig has no API to delete a remote), made harmless as no_search, restrict_by_team with no team; ${removalHint(plan.domain)}`,
  );
}

/** BrigSynced for each peer of a plan. */
export function peerConditions(outcomes: readonly PlanOutcome[]): Map<string, ConditionInput> {
  const result = new Map<string, ConditionInput>();
  for (const outcome of outcomes) {
    const condition = outcome.error === undefined ? successCondition(outcome.plan) : failureCondition(outcome, outcome.error);
    for (const peer of outcome.plan.peers) result.set(peer, condition);
  }
  return result;
}

/**
 * A Normal Event for each remote brig changed (on the peer, or on the config for remotes no peer
 * describes). Refusals become Warning Events through their BrigSynced transition, once, not on every retry.
 */
export function brigEvents(outcomes: readonly PlanOutcome[]): BrigEvent[] {
  const events: BrigEvent[] = [];
  for (const { plan, error } of outcomes) {
    if (plan.calls.length === 0 || error !== undefined) continue;
    const targets = plan.peers.length > 0 ? plan.peers : [undefined];
    let event: Omit<BrigEvent, "peer">;
    if (plan.role === "Federate") {
      event = { type: "Normal", reason: "BrigUpdated", message: `brig now lists ${plan.domain} with ${describeRemote(plan.target)} (${plan.calls.map((c) => c.method).join(", ")})` };
    } else {
      const why = { Suspended: "is suspended", Rejected: "is not accepted", Deleted: "lost its FederationPeer", Unmanaged: "has no FederationPeer (unmanagedRemotes: Neutralize)", Federate: "" }[plan.role];
      event = {
        type: "Normal",
        reason: "BrigRemoteNeutralized",
        message: `${plan.domain} ${why}: brig keeps the remote (it has no API to delete one); it is now no_search, restrict_by_team with no team; ${removalHint(plan.domain)}`,
      };
    }
    for (const peer of targets) events.push({ ...event, ...(peer === undefined ? {} : { peer }) });
  }
  return events;
}

/** The FederationConfig's BrigSynced and BrigStrategy, after brig answered its list. */
export function configConditions(outcomes: readonly PlanOutcome[], ours: Strategy, theirs: BrigStrategy): ConditionInput[] {
  const failed = outcomes.filter((o) => o.error !== undefined);
  const federated = outcomes.filter((o) => o.plan.role === "Federate").length;
  const first = failed[0];
  const synced =
    first === undefined
      ? cond("True", "Synced", `brig agrees on ${federated} remote(s)`)
      : { ...failureCondition(first, first.error!), message: `${failed.length} of ${outcomes.length} remote(s) not in sync with brig, e.g. ${first.plan.domain}: ${failureCondition(first, first.error!).message}` };
  const strategy: ConditionInput =
    BRIG_STRATEGY[ours] === theirs
      ? { type: BRIG_STRATEGY_CONDITION, status: "True", reason: "Matches", message: `brig's strategy ${theirs} matches spec.strategy ${ours}` }
      : {
          type: BRIG_STRATEGY_CONDITION,
          status: "False",
          reason: "StrategyMismatch",
          message: `brig's strategy is ${theirs} but spec.strategy is ${ours} (brig's ${BRIG_STRATEGY[ours]}); brig reads it from its config file (brig.config.optSettings.setFederationStrategy), not through its API: set that to ${BRIG_STRATEGY[ours]} and restart brig, or set spec.strategy to ${STRATEGY_FROM_BRIG[theirs]}`,
        };
  return [synced, strategy];
}

/** brig did not answer its list: nothing is known, every peer waits. */
export function unreachableConditions(error: BrigError, peers: readonly string[]): { peers: Map<string, ConditionInput>; config: ConditionInput[] } {
  const reason = error.failure === "Unreachable" ? "BrigUnreachable" : "BrigRefused";
  const peerCondition = cond("False", reason, `${error.message}; ${RETRYING}`);
  return {
    peers: new Map(peers.map((p) => [p, peerCondition])),
    config: [
      cond("False", reason, `${error.message}; ${peers.length} FederationPeer(s) wait for brig; ${RETRYING}`),
      { type: BRIG_STRATEGY_CONDITION, status: "Unknown", reason, message: `brig's strategy is not known: ${error.message}` },
    ],
  };
}
