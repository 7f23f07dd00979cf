// `npm run bench`: the DESIGN §9 figures, each against a baseline measured in the same run.
//   npm run bench                          everything (about 5 minutes on 2 cores)
//   npm run bench -- --only operator       one part: federator, reload, operator (comma-separated)
//   npm run bench -- --quick               fewer repeats and shorter runs, to try the bench itself
//   npm run bench -- --profile             the federator part once, with CPU profiles of both federators
//                                          (results/profiles/{a,b}/*.cpuprofile) and their hottest functions
//   npm run bench -- --federator-flags "…" other node flags for the federators than their image's
//   npm run bench -- --federator-env "K=V …" another environment for the federators than their image's ("" for none)
//                                          (an empty string for none), to measure a flag's effect
// Results: e2e/bench/results/latest.{json,md}, latencies.svg, and a timestamped copy of the JSON.
import { mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEnvironment, type Environment } from "../federation/environment.ts";
import type { FederatorNode } from "../federation/backend.ts";
import { FEDERATOR_ENV, FEDERATOR_NODE_FLAGS } from "../../operator/desired/workload.ts";
import { buildCompiled } from "./operator-process.ts";
import { profileFlags, summariseProfiles } from "./profile.ts";
import { benchFederatorPath, DEFAULT_PATH_SETTINGS, type PathRun, type PathSettings } from "./federator-path.ts";
import { benchOperator, DEFAULT_OPERATOR_SETTINGS, type OperatorSettings } from "./operator-bench.ts";
import { benchReload } from "./reload.ts";
import { figures, headline, markdownTable, type RawResults } from "./report.ts";
import { thin } from "./statistics.ts";
import { latencyChart, type Series } from "./svg-chart.ts";

const RESULTS = join(import.meta.dirname, "results");
/** The e2e backends start their federators without --pool-size: one HTTP/2 session per remote. */
const FEDERATOR_POOL_SIZE = 1;
const PARTS = ["federator", "reload", "operator"] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: { only: { type: "string" }, quick: { type: "boolean", default: false }, profile: { type: "boolean", default: false }, "federator-flags": { type: "string" }, "federator-env": { type: "string" } },
});
const profile = values.profile;
const only = new Set<Part>(profile ? ["federator"] : values.only ? (values.only.split(",").map((p) => p.trim()) as Part[]) : PARTS);
for (const part of only) if (!PARTS.includes(part)) throw new Error(`--only: unknown part ${part} (one of ${PARTS.join(", ")})`);
const quick = values.quick;
const pathSettings: PathSettings = quick ? { ...DEFAULT_PATH_SETTINGS, repeats: 1, durationSeconds: 2 } : profile ? { ...DEFAULT_PATH_SETTINGS, repeats: 1 } : DEFAULT_PATH_SETTINGS;
const PROFILES = join(RESULTS, "profiles");
const federatorFlags = values["federator-flags"] === undefined ? [...FEDERATOR_NODE_FLAGS] : values["federator-flags"].split(/\s+/).filter((flag) => flag !== "");
/** The federators run as their image runs them: compiled JavaScript and the image's node flags. */
const federatorEnv: Record<string, string> = values["federator-env"] === undefined ? { ...FEDERATOR_ENV } : Object.fromEntries(values["federator-env"].split(/\s+/).filter((v) => v.includes("=")).map((v) => v.split("=", 2) as [string, string]));
const federatorNode = (name: string): FederatorNode => ({ script: "dist/js/federator/main.js", flags: [...federatorFlags, ...(profile ? profileFlags(join(PROFILES, name)) : [])], env: federatorEnv });
const operatorSettings: OperatorSettings = quick ? { ...DEFAULT_OPERATOR_SETTINGS, repeats: 1, largePeers: 2000 } : DEFAULT_OPERATOR_SETTINGS;
const reloadChanges = quick ? 10 : 50;

const started = performance.now();
const say = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
/** Environments running or still starting, so Ctrl-C can stop them whatever phase it lands in. */
const environments = new Set<Promise<Environment | undefined>>();

async function withEnvironment<T>(reload: "Watch" | "Files", work: (env: Environment) => Promise<T>): Promise<T> {
  say(`starting two backends (${reload} mode): control planes, operators, federators, nginx, dnsmasq`);
  // Ports are picked free and then bound by other processes; on a busy machine one retry helps.
  const starting = startEnvironment({ reload, federatorNode }).catch(() => startEnvironment({ reload, federatorNode }));
  const tracked = starting.catch(() => undefined);
  environments.add(tracked);
  const env = await starting;
  try {
    return await work(env);
  } finally {
    environments.delete(tracked);
    await env.stop();
  }
}

const stopEnvironments = () => Promise.all([...environments].map(async (starting) => (await starting)?.stop()));

process.once("SIGINT", () => {
  say("interrupted: stopping every process the bench started");
  void stopEnvironments().finally(() => process.exit(130));
});

const thinRuns = (runs: readonly PathRun[]) => runs.map((r) => ({ ...r, latenciesMs: thin(r.latenciesMs, 200) }));

function chartSeries(raw: RawResults): Series[] {
  const series: Series[] = [];
  const runs = raw.federator?.runs ?? [];
  for (const size of [...new Set(runs.map((r) => r.bodyBytes))].sort((a, b) => a - b)) {
    for (const [path, color] of [["direct", "#4477aa"], ["federated", "#cc6677"], ["passthrough", "#aa3377"]] as const) {
      const samples = runs.filter((r) => r.path === path && r.kind === "latency" && r.bodyBytes === size).flatMap((r) => r.latenciesMs);
      series.push({ label: `${path}, ${size / 1024} KiB, 1 connection`, samplesMs: samples, color });
    }
    for (const [path, color] of [["direct", "#4477aa"], ["federated", "#cc6677"], ["passthrough", "#aa3377"]] as const) {
      const samples = runs.filter((r) => r.path === path && r.kind === "throughput" && r.bodyBytes === size).flatMap((r) => r.latenciesMs);
      series.push({ label: `${path}, ${size / 1024} KiB, ${pathSettings.throughputConnections} connections`, samplesMs: samples, color });
    }
  }
  for (const [mode, samples, color] of [["Watch", raw.reload?.watch, "#228833"], ["Files", raw.reload?.files, "#ccbb44"]] as const) {
    if (samples) series.push({ label: `apply → enforced, ${mode} mode`, samplesMs: samples.map((s) => s.fromStoredMs), color });
  }
  return series;
}

const PROFILED = { a: "a.example's federator", b: "b.example's federator (behind nginx)", bp: "b.example's Passthrough federator" } as const;

function printProfiles(): void {
  for (const [name, what] of Object.entries(PROFILED)) {
    if (!existsSync(join(PROFILES, name))) {
      say(`no CPU profile of ${what} (it did not exit cleanly)`);
      continue;
    }
    for (const { file, hot } of summariseProfiles(join(PROFILES, name), 16)) {
      // The profile spans the direct runs too: shares of the time the process was busy say more.
      const busy = 1 - (hot.find((f) => f.name === "(idle)")?.selfShare ?? 0);
      say(`hottest functions of ${what} (self time, share of busy time; ${file}):`);
      for (const f of hot.filter((h) => h.name !== "(idle)")) say(`  ${((f.selfShare / busy) * 100).toFixed(1).padStart(5)}%  ${f.name}`);
    }
  }
}

async function main(): Promise<void> {
  const load = { atStart: loadavg() };
  say("compiling the federator as its image does (npm run build)");
  buildCompiled();
  if (profile) rmSync(PROFILES, { recursive: true, force: true });
  const raw: { -readonly [K in keyof RawResults]: RawResults[K] } = {};
  if (only.has("federator") || only.has("reload")) {
    await withEnvironment("Watch", async (env) => {
      if (only.has("federator")) {
        say(`federator data path: ${pathSettings.repeats} repeats × ${pathSettings.bodySizes.length} body sizes × (throughput, latency) × (direct, federated, passthrough), ${pathSettings.durationSeconds} s each`);
        raw.federator = { ...(await benchFederatorPath(env, pathSettings, say, federatorNode("bp"))), poolSize: FEDERATOR_POOL_SIZE };
      }
      if (only.has("reload")) {
        say(`reload latency, Watch mode: ${reloadChanges} suspend/resume changes`);
        raw.reload = { watch: await benchReload(env, reloadChanges, say) };
      }
    });
  }
  if (profile) printProfiles();
  if (only.has("reload")) {
    await withEnvironment("Files", async (env) => {
      say(`reload latency, Files mode: ${reloadChanges} suspend/resume changes`);
      raw.reload = { ...raw.reload, files: await benchReload(env, reloadChanges, say) };
    });
  }
  if (only.has("operator")) {
    say(`operator: ${operatorSettings.peers} peers × ${operatorSettings.repeats} repeats, then ${operatorSettings.largePeers} peers`);
    raw.operator = await benchOperator(operatorSettings, say);
  }
  const durationSeconds = (performance.now() - started) / 1000;
  const list = figures(raw);
  const table = markdownTable(list);
  const summary = headline(raw);
  const document = {
    finishedAt: new Date().toISOString(),
    durationSeconds,
    quick,
    parts: [...only],
    machine: { ...load, atEnd: loadavg() },
    settings: { path: pathSettings, operator: operatorSettings, reloadChanges, federatorFlags, federatorEnv, profiled: profile },
    ...summary,
    figures: list,
    raw: {
      ...raw,
      ...(raw.federator ? { federator: { ...raw.federator, runs: thinRuns(raw.federator.runs) } } : {}),
      ...(raw.operator ? { operator: { ...raw.operator, logs: "operator.log" } } : {}),
    },
  };
  mkdirSync(RESULTS, { recursive: true });
  if (raw.operator) writeFileSync(join(RESULTS, "operator.log"), raw.operator.logs);
  const json = `${JSON.stringify(document, null, 2)}\n`;
  writeFileSync(join(RESULTS, "latest.json"), json);
  writeFileSync(join(RESULTS, `bench-${document.finishedAt.replace(/[:.]/g, "-")}.json`), json);
  const markdown = [`# Benchmarks (${document.finishedAt}, ${durationSeconds.toFixed(0)} s, load average ${load.atStart.map((l) => l.toFixed(1)).join(" ")})`, "", table, ""].join("\n");
  writeFileSync(join(RESULTS, "latest.md"), markdown);
  const series = chartSeries({ ...raw });
  if (series.length > 0) writeFileSync(join(RESULTS, "latencies.svg"), latencyChart("Latency distributions (box p25–p75, whiskers p1–p99, log scale)", series));
  console.log(`\n${table}\n`);
  console.log(`bench finished in ${durationSeconds.toFixed(0)} s; results in ${RESULTS}/latest.{json,md} and latencies.svg`);
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await stopEnvironments();
  process.exit(1);
});
