// Lease-based leader election against an in-memory API with fake timers: one leader at a time, a
// standby takes over only after the lease ran out (or at once after a release), and a leader that
// cannot renew gives up at the renew deadline. operator-process.int.test.ts runs it for real.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../log.ts";
import { LeaderElector } from "./leader-election.ts";
import { BUILTIN_RESOURCES, resourcePath } from "./resources.ts";
import { KubeApiError } from "./rest.ts";
import { createFakeClient, type FakeClient } from "./testing/fake-client.ts";

const LEASE_MS = 15_000;
const RENEW_MS = 5_000;
let client: FakeClient;
const electors: LeaderElector[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  client = createFakeClient();
});
afterEach(() => {
  for (const elector of electors.splice(0)) elector.stop();
  vi.useRealTimers();
});

function candidate(identity: string) {
  const elector = new LeaderElector({ client, namespace: "wire", name: "operator", identity, leaseMs: LEASE_MS, renewMs: RENEW_MS, log: createLogger({ name: "election-test", level: "silent" }) });
  electors.push(elector);
  const events: string[] = [];
  elector.run(
    () => events.push("started"),
    () => events.push("stopped"),
  );
  return { elector, events };
}

const holder = () => (client.get(resourcePath(BUILTIN_RESOURCES.Lease, "wire"), "operator")?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity;

describe("leader election", () => {
  it("elects one leader; the standby takes over only once the leader stopped renewing for a whole lease", async () => {
    const one = candidate("one");
    await vi.advanceTimersByTimeAsync(10);
    const two = candidate("two");
    await vi.advanceTimersByTimeAsync(60_000);
    expect([one.elector.leading, two.elector.leading]).toEqual([true, false]);
    expect(holder()).toBe("one");

    one.elector.stop(); // a crashed leader: no release, no more renewals
    await vi.advanceTimersByTimeAsync(LEASE_MS - RENEW_MS);
    expect(two.elector.leading).toBe(false);
    await vi.advanceTimersByTimeAsync(LEASE_MS + RENEW_MS);
    expect(two.elector.leading).toBe(true);
    expect(two.events).toEqual(["started"]);
    expect(holder()).toBe("two");
  });

  it("hands over within one retry period after the leader releases the lease", async () => {
    const one = candidate("one");
    await vi.advanceTimersByTimeAsync(10);
    const two = candidate("two");
    await vi.advanceTimersByTimeAsync(RENEW_MS);
    await one.elector.release();
    await vi.advanceTimersByTimeAsync(RENEW_MS + 10);
    expect(two.elector.leading).toBe(true);
  });

  it("gives leadership up at the renew deadline while the API server refuses renewals, before the lease expires", async () => {
    const one = candidate("one");
    await vi.advanceTimersByTimeAsync(10);
    expect(one.elector.leading).toBe(true);
    client.fail((method, path) => method === "PUT" && path.includes("/leases/"), new KubeApiError(500, "InternalError", "etcdserver: request timed out"));
    await vi.advanceTimersByTimeAsync((LEASE_MS * 2) / 3 + RENEW_MS);
    expect(one.events).toEqual(["started", "stopped"]);
    expect(one.elector.leading).toBe(false);
  });
});
