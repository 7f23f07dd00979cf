// Peers and remotes for the brig sync's tests.
import type { FakeBrig } from "../../e2e/support/fake-brig.ts";
import type { PeerForBrig } from "../brig/plan.ts";

/** An accepted FederationPeer as the brig sync sees it. */
export const acceptedPeer = (name: string, domain: string, extra: Partial<PeerForBrig> = {}): PeerForBrig => ({
  name,
  domain,
  state: "Accepted",
  reason: "Accepted",
  searchPolicy: "full_search",
  restriction: { type: "AllowAll" },
  ...extra,
});

/** 20 remotes: every search policy, allow_all, restrict_by_team with none, one and two teams, two from brig's config file. */
export async function seedTwentyRemotes(target: FakeBrig): Promise<void> {
  const policies = ["no_search", "exact_handle_search", "full_search"] as const;
  for (let i = 0; i < 18; i++) {
    const teams = [[], ["8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30"], ["0b0a1d9e-6f6e-4c52-9a39-1d9b8f3c2a11", "8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30"]][i % 3]!;
    const restriction = i % 2 === 0 ? { tag: "allow_all", value: null } : { tag: "restrict_by_team", value: teams };
    const response = await fetch(`${target.url}/i/federation/remotes`, { method: "POST", body: JSON.stringify({ domain: `r${i}.example`, search_policy: policies[i % 3], restriction }) });
    if (response.status !== 200) throw new Error(`seeding r${i}: ${response.status} ${await response.text()}`);
  }
}
