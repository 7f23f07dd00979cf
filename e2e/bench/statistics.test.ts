import { describe, expect, it } from "vitest";
import { differences, median, percentile, ratios, spread, thin } from "./statistics.ts";

describe("bench statistics", () => {
  it("takes nearest-rank percentiles of unsorted samples", () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarises repeats as min, median and max", () => {
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(spread([0.7, 0.5, 0.9])).toEqual({ min: 0.5, median: 0.7, max: 0.9, n: 3 });
  });

  it("pairs repeats with their baseline", () => {
    expect(ratios([50, 60], [100, 100, 100])).toEqual([0.5, 0.6]);
    expect(differences([3, 5], [1, 2])).toEqual([2, 3]);
  });

  it("thins a distribution to evenly spaced order statistics keeping both ends", () => {
    const thinned = thin(Array.from({ length: 1001 }, (_, i) => 1000 - i), 11);
    expect(thinned).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });
});
