// The sync against the fake brig (e2e/support/fake-brig.ts, written from wire-server's
// services/brig/src/Brig/API/Internal.hs and libs/wire-subsystems/src/Wire/FederationConfigStore/Cassandra.hs)
// over loopback HTTP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeBrig, type FakeBrig, type FakeBrigOptions } from "../../e2e/support/fake-brig.ts";
import { config } from "../testing/fixtures.ts";
import { createBrigClient } from "./client.ts";
import { acceptedPeer as peer } from "../testing/brig-remotes.ts";
import { BrigBackoff, syncBrig } from "./sync.ts";

const T1 = "8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30";
const T2 = "0b0a1d9e-6f6e-4c52-9a39-1d9b8f3c2a11";

let brig: FakeBrig | undefined;
afterEach(async () => {
  await brig?.close();
  brig = undefined;
});
const start = async (options: FakeBrigOptions = {}) => (brig = await startFakeBrig({ strategy: "allowDynamic", ...options }));
const fc = (status?: { brigDomains: string[] }) => {
  const c = config({ brig: { sync: true } });
  return status === undefined ? c : { ...c, status: { ...status } };
};

describe("syncBrig", () => {
  it("puts a full_search, team-restricted peer into brig, then updates it, then writes nothing", async () => {
    const b = await start();
    const client = createBrigClient(b.url);
    const restricted = peer("a", "a.example", { restriction: { type: "RestrictByTeam", teams: [T1] } });
    const first = await syncBrig(fc(), [restricted], client);
    expect(b.remotes().remotes).toEqual([{ domain: "a.example", search_policy: "full_search", restriction: { tag: "restrict_by_team", value: [T1] } }]);
    expect(first.peerConditions.get("a")).toMatchObject({ status: "True", reason: "Synced" });
    expect(first.brigDomains).toEqual(["a.example"]);

    const changed = await syncBrig(fc(), [{ ...restricted, searchPolicy: "exact_handle_search", restriction: { type: "RestrictByTeam", teams: [T2] } }], client);
    expect(changed.writes).toBe(1);
    expect(b.remotes().remotes[0]).toMatchObject({ search_policy: "exact_handle_search", restriction: { value: [T2] } });

    const before = b.writes();
    const again = await syncBrig(fc(), [{ ...restricted, searchPolicy: "exact_handle_search", restriction: { type: "RestrictByTeam", teams: [T2] } }], client);
    expect([again.writes, b.writes() - before, again.retry]).toEqual([0, 0, false]);
  });

  it("names both settings when brig's config file defines the remote otherwise", async () => {
    const b = await start({ configFileRemotes: [{ domain: "a.example", search_policy: "no_search" }] });
    const result = await syncBrig(fc(), [peer("a", "a.example")], createBrigClient(b.url));
    const condition = result.peerConditions.get("a");
    expect(condition).toMatchObject({ status: "False", reason: "BrigConfigFile" });
    expect(condition?.message).toContain("search_policy no_search, restriction allow_all");
    expect(condition?.message).toContain("search_policy full_search, restriction allow_all");
    expect(condition?.message).toContain("removing or updating items listed in the config file is not allowed");
    expect(result.retry).toBe(true);
    expect(result.configConditions[0]).toMatchObject({ type: "BrigSynced", status: "False", reason: "BrigConfigFile" });
  });

  it("reports brig's remote limit with brig's message", async () => {
    const b = await start({ maxRemotes: 1 });
    const result = await syncBrig(fc(), [peer("a", "a.example"), peer("b", "b.example")], createBrigClient(b.url));
    expect(result.peerConditions.get("b")).toMatchObject({ status: "False", reason: "BrigRemoteLimit" });
    expect(result.peerConditions.get("b")?.message).toContain("Maximum number of remote backends reached");
  });

  it("reports an unreachable or failing brig for every peer and asks for a retry", async () => {
    const b = await start();
    await b.component.down();
    const down = await syncBrig(fc({ brigDomains: ["x.example"] }), [peer("a", "a.example")], createBrigClient(b.url, { timeoutMs: 2000 }));
    expect(down.peerConditions.get("a")).toMatchObject({ status: "False", reason: "BrigUnreachable" });
    expect(down.peerConditions.get("a")?.message).toContain("ECONNREFUSED");
    expect([down.retry, down.brigDomains]).toEqual([true, ["x.example"]]);
    await b.component.up();
    b.setFailure(503);
    const failing = await syncBrig(fc(), [peer("a", "a.example")], createBrigClient(b.url));
    expect(failing.configConditions[0]).toMatchObject({ type: "BrigSynced", status: "False", reason: "BrigUnreachable" });
  });

  it("waits for a slow brig, and reports one slower than the timeout as not answering", async () => {
    const b = await start();
    b.setDelay(300);
    const slow = await syncBrig(fc(), [peer("a", "a.example")], createBrigClient(b.url, { timeoutMs: 5000 }));
    expect(slow.peerConditions.get("a")).toMatchObject({ status: "True", reason: "Synced" });
    const tooSlow = await syncBrig(fc(), [peer("a", "a.example")], createBrigClient(b.url, { timeoutMs: 100 }));
    expect(tooSlow.peerConditions.get("a")?.message).toContain("no answer in time");
    expect(tooSlow.retry).toBe(true);
  });

  it("reports a strategy brig's config file sets otherwise", async () => {
    const b = await start({ strategy: "allowAll" });
    const result = await syncBrig(fc(), [], createBrigClient(b.url));
    expect(result.configConditions[1]).toMatchObject({ type: "BrigStrategy", status: "False", reason: "StrategyMismatch" });
    expect(result.configConditions[1]?.message).toContain("brig's strategy is allowAll but spec.strategy is AllowList (brig's allowDynamic)");
  });

  it("makes a deleted peer's remote harmless and says how an admin removes it", async () => {
    const b = await start();
    const client = createBrigClient(b.url);
    await syncBrig(fc(), [peer("a", "a.example")], client);
    const result = await syncBrig(fc({ brigDomains: ["a.example"] }), [], client);
    expect(b.remotes().remotes).toEqual([{ domain: "a.example", search_policy: "no_search", restriction: { tag: "restrict_by_team", value: [] } }]);
    expect(result.brigDomains).toEqual([]);
    expect(result.events[0]?.message).toMatch(/brig keeps the remote .*DELETE FROM brig.federation_remotes WHERE domain = 'a.example'/);
  });

  it("keeps its tables across restarts of the fake brig", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fake-brig-"));
    try {
      const b = await start({ stateFile: join(dir, "brig.json") });
      await syncBrig(fc(), [peer("a", "a.example", { restriction: { type: "RestrictByTeam", teams: [] } })], createBrigClient(b.url));
      await b.close();
      const again = await start({ stateFile: join(dir, "brig.json") });
      expect(again.remotes().remotes).toEqual([{ domain: "a.example", search_policy: "full_search", restriction: { tag: "restrict_by_team", value: [] } }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the fake brig answers like brig", () => {
  it("refuses a body it cannot parse with brig's bad-request error", async () => {
    const b = await start();
    const response = await fetch(`${b.url}/i/federation/remotes`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"domain":"a.example"}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 400, label: "bad-request" });
  });

  it("refuses a team for an allow_all remote and for an unknown one", async () => {
    const b = await start();
    await fetch(`${b.url}/i/federation/remotes`, { method: "POST", body: JSON.stringify({ domain: "a.example", search_policy: "no_search", restriction: { tag: "allow_all", value: null } }) });
    const team = (domain: string) => fetch(`${b.url}/i/federation/remotes/${domain}/teams`, { method: "POST", body: JSON.stringify({ team_id: T1 }) }).then(async (r) => [r.status, ((await r.json()) as { message: string }).message]);
    expect(await team("a.example")).toEqual([533, expect.stringContaining("Federation is not configured to be restricted by teams")]);
    expect(await team("b.example")).toEqual([533, expect.stringContaining("Federation domain does not exist.  Please add it first.")]);
  });
});

describe("BrigBackoff", () => {
  it("doubles the wait from 1 s up to a minute while brig fails, and starts over once it agrees", () => {
    const backoff = new BrigBackoff();
    const waits = Array.from({ length: 8 }, () => backoff.next("wire/wire", true));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(backoff.next("wire/wire", false)).toBeUndefined();
    expect(backoff.next("wire/wire", true)).toBe(1000);
  });
});
