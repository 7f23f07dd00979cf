// Summaries of repeated measurements: nearest-rank percentiles, min/median/max over repeats, and
// per-repeat ratios against a baseline measured in the same run.

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1] as number;
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 };
  return { min: Math.min(...samples), median: median(samples), max: Math.max(...samples), n: samples.length };
}

/** Pairs repeat i of `measured` with repeat i of `baseline`. */
export function pairwise(measured: readonly number[], baseline: readonly number[], combine: (m: number, b: number) => number): number[] {
  const n = Math.min(measured.length, baseline.length);
  return Array.from({ length: n }, (_, i) => combine(measured[i] as number, baseline[i] as number));
}

export const ratios = (measured: readonly number[], baseline: readonly number[]): number[] => pairwise(measured, baseline, (m, b) => m / b);
export const differences = (measured: readonly number[], baseline: readonly number[]): number[] => pairwise(measured, baseline, (m, b) => m - b);

/** Samples thinned to at most `max` evenly spaced order statistics, enough to draw a distribution. */
export function thin(samples: readonly number[], max: number): number[] {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (max - 1))] as number);
}
