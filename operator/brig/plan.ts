// What brig's federation remotes must become, and the fewest brig calls that get them there.
// Pure: brig's GET /i/federation/remotes and the peers' verdicts in, calls out. brig has no call
// to delete a remote (FederationRemotesAPI in wire-server libs/wire-api/src/Wire/API/Routes/Internal/Brig.hs),
// so a remote no peer federates with any more is made harmless instead: no_search, restrict_by_team
// with no team (brig then lets nobody of that remote find or contact local users:
// backendFederatesWithImpl in libs/wire-subsystems/src/Wire/FederationConfigStore/Cassandra.hs).
import type { Restriction, SearchPolicy } from "../../lib/api/v1alpha1.ts";
import { remotePath, REMOTES_PATH, teamPath, teamsPath, toBrigRemote, type BrigRemote, type BrigRemotes } from "./brig-api.ts";

export type BrigCall =
  | { readonly method: "POST"; readonly path: string; readonly body: BrigRemote }
  | { readonly method: "PUT"; readonly path: string; readonly body: BrigRemote }
  | { readonly method: "POST"; readonly path: string; readonly body: { readonly team_id: string } }
  | { readonly method: "DELETE"; readonly path: string; readonly body?: undefined };

/** Why a remote gets the settings it gets. */
export type RemoteRole = "Federate" | "Suspended" | "Rejected" | "Deleted" | "Unmanaged";

export interface PeerForBrig {
  readonly name: string;
  readonly domain: string;
  readonly state: "Accepted" | "Suspended" | "Rejected";
  /** The Accepted condition's reason: a peer rejected as the own domain describes no remote. */
  readonly reason: string;
  readonly searchPolicy: SearchPolicy;
  readonly restriction: Restriction;
}

export interface BrigSyncInput {
  readonly peers: readonly PeerForBrig[];
  /** Domains the operator kept in brig before (the FederationConfig's status.brigDomains). */
  readonly previouslyManaged: readonly string[];
  readonly unmanagedRemotes: "Keep" | "Neutralize";
  readonly brig: BrigRemotes;
}

export interface RemotePlan {
  readonly domain: string;
  readonly role: RemoteRole;
  /** Peers describing this domain (none for Deleted and Unmanaged). */
  readonly peers: readonly string[];
  readonly target: BrigRemote;
  /** What brig has now; undefined when brig does not list the domain. */
  readonly current: BrigRemote | undefined;
  /** In order; empty when brig already agrees (or a harmless target for a domain brig does not list). */
  readonly calls: readonly BrigCall[];
}

export const harmless = (domain: string): BrigRemote => ({ domain, search_policy: "no_search", restriction: { tag: "restrict_by_team", value: [] } });

/**
 * brig's view of each domain. Its GET lists its Cassandra rows, then its config file's entries
 * (getFederationConfigs' in wire-server libs/wire-subsystems/src/Wire/FederationConfigStore/Cassandra.hs),
 * and the config file wins where both name a domain, so the last entry is the one brig enforces.
 */
export function brigView(brig: BrigRemotes): Map<string, BrigRemote> {
  return new Map(brig.remotes.map((r) => [r.domain, r]));
}

function sameTeams(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((t) => set.has(t));
}

export function agrees(current: BrigRemote, target: BrigRemote): boolean {
  if (current.search_policy !== target.search_policy || current.restriction.tag !== target.restriction.tag) return false;
  return current.restriction.tag === "allow_all" || sameTeams(current.restriction.value, target.restriction.value ?? []);
}

/** The calls that turn `current` into `target`: a PUT when the policy or the restriction kind changes, team calls when only the teams do. */
export function callsFor(current: BrigRemote | undefined, target: BrigRemote, addMissing: boolean): BrigCall[] {
  if (current === undefined) return addMissing ? [{ method: "POST", path: REMOTES_PATH, body: target }] : [];
  if (agrees(current, target)) return [];
  const sameKind = current.search_policy === target.search_policy && current.restriction.tag === target.restriction.tag;
  if (!sameKind || current.restriction.tag !== "restrict_by_team" || target.restriction.tag !== "restrict_by_team") {
    return [{ method: "PUT", path: remotePath(target.domain), body: target }];
  }
  const have = new Set(current.restriction.value);
  const want = new Set(target.restriction.value);
  return [
    ...[...want].filter((t) => !have.has(t)).map((team_id): BrigCall => ({ method: "POST", path: teamsPath(target.domain), body: { team_id } })),
    ...[...have].filter((t) => !want.has(t)).map((team): BrigCall => ({ method: "DELETE", path: teamPath(target.domain, team) })),
  ];
}

/** One plan per domain that the peers, the operator's past or (when told) brig's own list name. */
export function planBrigSync(input: BrigSyncInput): RemotePlan[] {
  const view = brigView(input.brig);
  const byDomain = new Map<string, PeerForBrig[]>();
  for (const peer of input.peers) {
    if (peer.state === "Rejected" && peer.reason === "OwnDomain") continue;
    byDomain.set(peer.domain, [...(byDomain.get(peer.domain) ?? []), peer]);
  }
  const plans: RemotePlan[] = [];
  const plan = (domain: string, role: RemoteRole, peers: readonly string[], target: BrigRemote) => {
    const current = view.get(domain);
    plans.push({ domain, role, peers, target, current, calls: callsFor(current, target, role === "Federate") });
  };
  for (const [domain, peers] of byDomain) {
    const names = peers.map((p) => p.name).sort();
    const accepted = peers.find((p) => p.state === "Accepted");
    if (accepted !== undefined) plan(domain, "Federate", names, toBrigRemote(domain, accepted.searchPolicy, accepted.restriction));
    else plan(domain, peers.some((p) => p.state === "Suspended") ? "Suspended" : "Rejected", names, harmless(domain));
  }
  for (const domain of new Set(input.previouslyManaged)) {
    if (!byDomain.has(domain)) plan(domain, "Deleted", [], harmless(domain));
  }
  if (input.unmanagedRemotes === "Neutralize") {
    const planned = new Set(plans.map((p) => p.domain));
    for (const domain of view.keys()) if (!planned.has(domain)) plan(domain, "Unmanaged", [], harmless(domain));
  }
  return plans.sort((a, b) => a.domain.localeCompare(b.domain));
}
