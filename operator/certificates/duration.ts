// Go/cert-manager durations ("2160h", "1h30m", "90s") in milliseconds.
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 };

export function parseDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * (UNIT_MS[unit ?? ""] ?? 0), 0);
}
