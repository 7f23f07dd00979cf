import { describe, expect, it } from "vitest";
import { StopWaiting, waitFor, WaitTimeoutError } from "./wait-for.ts";

describe("waitFor", () => {
  it("returns the first truthy value of the condition", async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { description: "three calls", intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it("treats a throwing condition as not yet", async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        if (++calls < 3) throw new Error("not yet");
        return "done";
      },
      { description: "recovery", intervalMs: 1 },
    );
    expect(value).toBe("done");
  });

  it("names the description and the last error at the deadline", async () => {
    const wait = waitFor(
      () => {
        throw new Error("connection refused");
      },
      { description: "the API server to answer", timeoutMs: 30, intervalMs: 5 },
    );
    await expect(wait).rejects.toThrow(WaitTimeoutError);
    await expect(wait).rejects.toThrow(/waiting for the API server to answer \(last error: connection refused\)/);
  });

  it("names the last value when the condition never became truthy", async () => {
    await expect(waitFor(() => 0, { description: "a count", timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(/last value: 0/);
  });

  it("stops at once when the condition throws StopWaiting", async () => {
    const started = Date.now();
    const wait = waitFor(
      () => {
        throw new StopWaiting("etcd exited with code 1");
      },
      { description: "etcd", timeoutMs: 10_000 },
    );
    await expect(wait).rejects.toThrow("etcd exited with code 1");
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
