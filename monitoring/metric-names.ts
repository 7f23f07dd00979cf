// The metric names a PromQL expression uses, so a test can check that each one is exported.

const FUNCTIONS_AND_KEYWORDS = new Set([
  "sum", "rate", "increase", "irate", "histogram_quantile", "time", "by", "on", "and", "or", "unless", "without", "max", "min", "avg", "count", "le",
  "ignoring", "group_left", "group_right", "bool", "offset", "vector", "topk", "bottomk", "abs", "clamp_min", "label_replace",
]);

/** Histogram series (`_bucket`, `_sum`, `_count`) name their family. */
const family = (name: string) => name.replace(/_(bucket|sum|count)$/, "");

/** Identifiers outside label matchers, strings and durations that are neither functions nor keywords. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]);
  return [...new Set(names.filter((n) => !FUNCTIONS_AND_KEYWORDS.has(n) && /_/.test(n)).map(family))];
}
