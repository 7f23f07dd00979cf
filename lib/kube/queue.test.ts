import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue } from "./queue.ts";

// Fake timers and clock: the delays below are exact, whatever the machine is doing.
beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] }));
afterEach(() => vi.useRealTimers());

/** Lets fake time pass until the queue has nothing left to do. */
async function settle(queue: WorkQueue): Promise<void> {
  const idle = queue.idle();
  await vi.advanceTimersByTimeAsync(60_000);
  await idle;
}

const fast = { coalesceMs: 5, minIntervalMs: 0, baseBackoffMs: 5, maxBackoffMs: 50 };

describe("work queue", () => {
  it("turns a burst of events for one key into one reconcile", async () => {
    const calls: string[] = [];
    const queue = new WorkQueue(async (key) => (calls.push(key), {}), { ...fast, coalesceMs: 200 });
    for (let i = 0; i < 1000; i++) queue.add("wire/config");
    await settle(queue);
    expect(calls).toEqual(["wire/config"]);
  });

  it("runs a key again, once, when it changed while being reconciled, and never twice at once", async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release: () => void = () => undefined;
    const queue = new WorkQueue(async () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      running--;
      return {};
    }, fast);
    queue.add("k");
    while (calls === 0) await vi.advanceTimersByTimeAsync(5);
    for (let i = 0; i < 10; i++) queue.add("k");
    release();
    await settle(queue);
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it("retries a failing key with growing delays until it succeeds", async () => {
    const times: number[] = [];
    const queue = new WorkQueue(async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error("apiserver unavailable");
      return {};
    }, { ...fast, baseBackoffMs: 20, maxBackoffMs: 1000 });
    queue.add("k");
    await settle(queue);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([20, 40, 80]);
  });

  it("bounds how many keys run at once", async () => {
    let running = 0;
    let maxRunning = 0;
    const queue = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return {};
    }, { ...fast, concurrency: 3 });
    for (let i = 0; i < 20; i++) queue.add(`ns/config-${i}`);
    await settle(queue);
    expect(maxRunning).toBe(3);
  });

  it("spaces reconciles of one key by the minimum interval", async () => {
    const times: number[] = [];
    const queue = new WorkQueue(async () => (times.push(Date.now()), {}), { ...fast, minIntervalMs: 100 });
    queue.add("k");
    await vi.advanceTimersByTimeAsync(10); // the first run is done
    queue.add("k");
    await settle(queue);
    expect(times[1]! - times[0]!).toBe(100);
  });
});
