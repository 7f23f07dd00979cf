// Reload latency: B suspends and resumes its FederationPeer for a.example; each change is timed
// from the moment B's API server answered the PATCH (the change is stored) until A's requests to
// B show it: refused after a suspension, served again after a resume.
import type { Environment } from "../federation/environment.ts";
import { NAMESPACE } from "../federation/backend.ts";
import { RESOURCES, resourcePath } from "../../operator/kube/resources.ts";
import { waitFor } from "../support/wait-for.ts";

export interface ReloadSample {
  readonly change: "suspend" | "resume";
  /** From the API server's answer to the PATCH until enforced. */
  readonly fromStoredMs: number;
  /** The PATCH round trip itself. */
  readonly storeMs: number;
  /** Refusals other than B's federation-denied: nginx refusing A's certificate, or errors. */
  readonly otherAnswers: number;
  /** Times the new behaviour showed and then the old one again before it held. */
  readonly flaps: number;
  /** The other answers by status and error label. */
  readonly others: Readonly<Record<string, number>>;
  /** The answers that broke a streak of the new behaviour (what a flap looked like). */
  readonly flapAnswers: readonly string[];
}

type Outcome = { readonly kind: "served" | "denied" } | { readonly kind: "other"; readonly what: string };

/** One A→B call: served (200), denied by B because of the suspension, or anything else. */
async function probe(env: Environment): Promise<Outcome> {
  const response = await fetch(`${env.a.federatorUrl}/rpc/${env.b.domain}/brig/get-user`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  const body = await response.text();
  if (response.status === 200) return { kind: "served" };
  if (/federation-denied/.test(body)) return { kind: "denied" };
  return { kind: "other", what: `${response.status} ${describeRefusal(body)}` };
}

/** The Wire error label and the start of its message, which name the layer that refused. */
function describeRefusal(body: string): string {
  try {
    const parsed = JSON.parse(body) as { label?: string; message?: string };
    return `${parsed.label ?? "?"}: ${(parsed.message ?? "").replace(/\s+/g, " ").slice(0, 90)}`;
  } catch {
    return body.slice(0, 90);
  }
}

async function setSuspended(env: Environment, suspend: boolean): Promise<void> {
  await env.b.client.request("PATCH", resourcePath(RESOURCES.FederationPeer, NAMESPACE, env.a.name), {
    body: { spec: { suspend } },
    contentType: "application/merge-patch+json",
  });
}

/** Consecutive answers of the new kind that count as "enforced" (a single odd answer is not). */
const STREAK = 3;

async function measureChange(env: Environment, suspend: boolean): Promise<ReloadSample> {
  const started = performance.now();
  await setSuspended(env, suspend);
  const stored = performance.now();
  let otherAnswers = 0;
  let flaps = 0;
  const others: Record<string, number> = {};
  const flapAnswers: string[] = [];
  let streakStart: number | undefined;
  let streak = 0;
  await waitFor(
    async () => {
      const at = performance.now();
      const outcome = await probe(env);
      if (outcome.kind === "other") {
        otherAnswers++;
        others[outcome.what] = (others[outcome.what] ?? 0) + 1;
      }
      // A suspension is enforced once B refuses A, at its federator or already at nginx's TLS layer.
      const enforced = suspend ? outcome.kind !== "served" : outcome.kind === "served";
      if (!enforced) {
        if (streak > 0) {
          flaps++;
          flapAnswers.push(outcome.kind === "other" ? outcome.what : outcome.kind);
        }
        streak = 0;
        return false;
      }
      if (streak++ === 0) streakStart = at;
      return streak >= STREAK;
    },
    { description: suspend ? "B refuses A after the suspension" : "B serves A again after the resume", timeoutMs: 60_000, intervalMs: 0 },
  );
  return { change: suspend ? "suspend" : "resume", fromStoredMs: Math.max(0, (streakStart ?? stored) - stored), storeMs: stored - started, otherAnswers, flaps, others, flapAnswers };
}

export async function benchReload(env: Environment, changes: number, say: (m: string) => void): Promise<ReloadSample[]> {
  await waitFor(async () => (await probe(env)).kind === "served", { description: "A→B works before the reload bench", timeoutMs: 30_000 });
  const samples: ReloadSample[] = [];
  try {
    for (let i = 0; i < changes; i++) {
      const sample = await measureChange(env, i % 2 === 0);
      samples.push(sample);
      if ((i + 1) % 10 === 0) say(`  ${i + 1}/${changes} changes, last ${sample.change} enforced ${sample.fromStoredMs.toFixed(0)} ms after it was stored`);
    }
  } finally {
    // Leave the peer accepted whatever happened.
    await setSuspended(env, false).catch(() => undefined);
  }
  return samples;
}
