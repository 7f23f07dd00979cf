import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.ts";

describe("token bucket", () => {
  it("grants the burst at once, then refills at the rate", () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
  });
});
