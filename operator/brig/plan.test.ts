// Plans against brig's GET /i/federation/remotes as wire-server answers it
// (libs/wire-api/test/golden/testObject_FederationDomainConfig_*.json show the shapes).
import { describe, expect, it } from "vitest";
import type { BrigRemote, BrigRemotes } from "./brig-api.ts";
import { acceptedPeer as peer } from "../testing/brig-remotes.ts";
import { planBrigSync, type PeerForBrig } from "./plan.ts";

const T1 = "0000304a-0000-0d5e-0000-3fac00003993";
const T2 = "00003c90-0000-2207-0000-5249000018b1";
const brig = (...remotes: BrigRemote[]): BrigRemotes => ({ remotes, strategy: "allowDynamic", update_interval: 10 });
const allowAll = (domain: string, search_policy: BrigRemote["search_policy"] = "full_search"): BrigRemote => ({ domain, search_policy, restriction: { tag: "allow_all", value: null } });
const byTeam = (domain: string, teams: string[], search_policy: BrigRemote["search_policy"] = "full_search"): BrigRemote => ({ domain, search_policy, restriction: { tag: "restrict_by_team", value: teams } });
const plan = (peers: PeerForBrig[], current: BrigRemotes, previouslyManaged: string[] = [], unmanagedRemotes: "Keep" | "Neutralize" = "Keep") =>
  planBrigSync({ peers, previouslyManaged, unmanagedRemotes, brig: current });

describe("planBrigSync", () => {
  it("adds a remote brig does not list, with its teams in the same POST", () => {
    const [p] = plan([peer("a", "a.example", { restriction: { type: "RestrictByTeam", teams: [T2, T1] } })], brig());
    expect(p?.calls).toEqual([{ method: "POST", path: "/i/federation/remotes", body: byTeam("a.example", [T1, T2]) }]);
  });

  it("writes nothing when brig already agrees (teams in any order)", () => {
    const plans = plan([peer("a", "a.example", { restriction: { type: "RestrictByTeam", teams: [T1, T2] } }), peer("b", "b.example")], brig(byTeam("a.example", [T2, T1]), allowAll("b.example")));
    expect(plans.flatMap((p) => p.calls)).toEqual([]);
  });

  it.each([
    ["the search policy", allowAll("a.example", "no_search")],
    ["the restriction kind", byTeam("a.example", [T1])],
  ])("updates with PUT when %s changed", (_what, current) => {
    const [p] = plan([peer("a", "a.example")], brig(current));
    expect(p?.calls).toEqual([{ method: "PUT", path: "/i/federation/remotes/a.example", body: allowAll("a.example") }]);
  });

  it("keeps the team list equal with team calls when only the teams changed", () => {
    const [p] = plan([peer("a", "a.example", { restriction: { type: "RestrictByTeam", teams: [T2] } })], brig(byTeam("a.example", [T1])));
    expect(p?.calls).toEqual([
      { method: "POST", path: "/i/federation/remotes/a.example/teams", body: { team_id: T2 } },
      { method: "DELETE", path: `/i/federation/remotes/a.example/teams/${T1}` },
    ]);
  });

  it("makes a suspended peer's remote harmless, and adds nothing for one brig never knew", () => {
    const plans = plan([peer("a", "a.example", { state: "Suspended", reason: "Suspended" }), peer("n", "new.example", { state: "Suspended", reason: "Suspended" })], brig(allowAll("a.example")));
    expect(plans.map((p) => [p.domain, p.role, p.calls])).toEqual([
      ["a.example", "Suspended", [{ method: "PUT", path: "/i/federation/remotes/a.example", body: byTeam("a.example", [], "no_search") }]],
      ["new.example", "Suspended", []],
    ]);
  });

  it("makes the remote of a deleted peer harmless, and leaves remotes no peer ever described alone", () => {
    const plans = plan([], brig(allowAll("gone.example"), allowAll("theirs.example")), ["gone.example"]);
    expect(plans.map((p) => [p.domain, p.role, p.calls.map((c) => c.method)])).toEqual([["gone.example", "Deleted", ["PUT"]]]);
  });

  it("neutralizes remotes no peer describes only when told to", () => {
    const plans = plan([], brig(allowAll("theirs.example")), [], "Neutralize");
    expect(plans.map((p) => [p.domain, p.role, p.calls.map((c) => c.method)])).toEqual([["theirs.example", "Unmanaged", ["PUT"]]]);
  });

  it("lets the accepted peer of a domain win over a duplicate, and ignores the own domain", () => {
    const plans = plan([peer("a", "a.example"), peer("dup", "a.example", { state: "Rejected", reason: "DuplicateDomain" }), peer("me", "me.example", { state: "Rejected", reason: "OwnDomain" })], brig());
    expect(plans.map((p) => [p.domain, p.role, p.peers])).toEqual([["a.example", "Federate", ["a", "dup"]]]);
  });

  it("compares with the config file's entry, which brig lists last and enforces", () => {
    const [p] = plan([peer("a", "a.example")], brig(byTeam("a.example", [T1]), allowAll("a.example")));
    expect(p?.calls).toEqual([]);
  });
});
