// brig's federation remotes API as wire-server defines it: the JSON of FederationDomainConfig(s),
// FederationRestriction and FederationRemoteTeam (wire-server
// libs/wire-api/src/Wire/API/Routes/FederationDomainConfig.hs, FederatedUserSearchPolicy in
// libs/wire-api/src/Wire/API/User/Search.hs) and the routes of FederationRemotesAPI
// (libs/wire-api/src/Wire/API/Routes/Internal/Brig.hs), served under brig's /i prefix.
import { z } from "zod";
import type { Restriction, SearchPolicy, Strategy } from "../../lib/api/v1alpha1.ts";

export const brigSearchPolicy = z.enum(["no_search", "exact_handle_search", "full_search"]);
export const brigStrategy = z.enum(["allowNone", "allowAll", "allowDynamic"]);

export const brigRestriction = z.discriminatedUnion("tag", [
  z.object({ tag: z.literal("allow_all"), value: z.null() }),
  z.object({ tag: z.literal("restrict_by_team"), value: z.array(z.uuid()) }),
]);

export const brigRemote = z.object({ domain: z.string().min(1), search_policy: brigSearchPolicy, restriction: brigRestriction });

export const brigRemotes = z.object({ remotes: z.array(brigRemote), strategy: brigStrategy, update_interval: z.number().int() });

export const brigRemoteTeam = z.object({ team_id: z.uuid() });

export type BrigSearchPolicy = z.infer<typeof brigSearchPolicy>;
export type BrigStrategy = z.infer<typeof brigStrategy>;
export type BrigRestriction = z.infer<typeof brigRestriction>;
export type BrigRemote = z.infer<typeof brigRemote>;
export type BrigRemotes = z.infer<typeof brigRemotes>;

export const REMOTES_PATH = "/i/federation/remotes";
export const remotePath = (domain: string) => `${REMOTES_PATH}/${encodeURIComponent(domain)}`;
export const teamsPath = (domain: string) => `${remotePath(domain)}/teams`;
export const teamPath = (domain: string, team: string) => `${teamsPath(domain)}/${encodeURIComponent(team)}`;

/** FederationConfig strategy ↔ brig's (AllowList is Wire's allowDynamic). */
export const BRIG_STRATEGY: Readonly<Record<Strategy, BrigStrategy>> = { AllowNone: "allowNone", AllowAll: "allowAll", AllowList: "allowDynamic" };
export const STRATEGY_FROM_BRIG: Readonly<Record<BrigStrategy, Strategy>> = { allowNone: "AllowNone", allowAll: "AllowAll", allowDynamic: "AllowList" };

export function toBrigRestriction(restriction: Restriction): BrigRestriction {
  return restriction.type === "AllowAll" ? { tag: "allow_all", value: null } : { tag: "restrict_by_team", value: [...(restriction.teams ?? [])].sort() };
}

export function fromBrigRestriction(restriction: BrigRestriction): Restriction {
  return restriction.tag === "allow_all" ? { type: "AllowAll" } : { type: "RestrictByTeam", teams: [...restriction.value].sort() };
}

export function toBrigRemote(domain: string, searchPolicy: SearchPolicy, restriction: Restriction): BrigRemote {
  return { domain, search_policy: searchPolicy, restriction: toBrigRestriction(restriction) };
}

/** A remote's settings in a person's words, e.g. "search_policy full_search, restriction restrict_by_team [t1, t2]". */
export function describeRemote(remote: BrigRemote): string {
  const restriction = remote.restriction.tag === "allow_all" ? "allow_all" : `restrict_by_team [${remote.restriction.value.join(", ")}]`;
  return `search_policy ${remote.search_policy}, restriction ${restriction}`;
}
