// From raw measurements to figures: each one with its baseline from the same run, min/median/max
// over repeats, the DESIGN §9 target and whether it was met; rendered as a Markdown table.
import type { EgressTotals, PathRun } from "./federator-path.ts";
import type { OperatorResult } from "./operator-bench.ts";
import type { ReloadSample } from "./reload.ts";
import { differences, median, percentile, ratios, spread, type Spread } from "./statistics.ts";

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly measured: Spread;
  readonly baselineName: string;
  readonly baseline: Spread;
  /** measured ÷ baseline, or measured − baseline when `relation` is "difference". */
  readonly relation: "ratio" | "difference";
  readonly relative: Spread;
  readonly target?: string;
  /** undefined when the figure has no target. */
  readonly met?: boolean;
  readonly note?: string;
}

export interface RawResults {
  readonly federator?: { readonly runs: readonly PathRun[]; readonly poolSize: number; readonly sinceStart: EgressTotals; readonly idleRssMiB: { readonly a: number; readonly b: number } };
  readonly operator?: OperatorResult;
  readonly reload?: { readonly watch?: readonly ReloadSample[]; readonly files?: readonly ReloadSample[] };
}

export interface Headline {
  readonly federator?: { throughputRatio: number; p99AddedMs: number; handshakesPer10k: number };
  readonly operator?: { convergeRatio1000: number; outputWrites1000: number; noopWrites: number; restartWrites: number; rssMiB1k: number; rssMiB10k: number; converged10k: boolean };
  readonly reload?: { watchP50Ms?: number; watchP99Ms?: number; filesP50Ms?: number; filesP99Ms?: number };
}

const kib = (bytes: number) => `${bytes / 1024} KiB`;
const single = (value: number): Spread => spread([value]);

function select(runs: readonly PathRun[], path: PathRun["path"], kind: PathRun["kind"], bodyBytes: number): PathRun[] {
  return runs.filter((r) => r.path === path && r.kind === kind && r.bodyBytes === bodyBytes).sort((a, b) => a.repeat - b.repeat);
}

const per10kSinceStart = (t: EgressTotals) => (t.handshakes / Math.max(1, t.requests)) * 10_000;

/** Throughput, CPU, RSS and latency of one federated path (through nginx, or Passthrough) against the direct one. */
function pathFigures(runs: readonly PathRun[], path: "federated" | "passthrough", label: string, bName: string, size: number, idleRss: { readonly a: number; readonly b: number }): Figure[] {
  const figures: Figure[] = [];
  const [fedT, dirT] = [select(runs, path, "throughput", size), select(runs, "direct", "throughput", size)];
  const [fedL, dirL] = [select(runs, path, "latency", size), select(runs, "direct", "latency", size)];
  const rps = (rs: PathRun[]) => rs.map((r) => r.requestsPerSecond);
  const p = (rs: PathRun[], key: "p50Ms" | "p99Ms") => rs.map((r) => r[key]);
  const connections = fedT[0]?.connections ?? 0;
  const tRatio = ratios(rps(fedT), rps(dirT));
  const cpu = (side: "a" | "b") => median(fedT.map((r) => r.federatorCpuMsPerRequest?.[side] ?? Number.NaN));
  figures.push({
    name: `${label} throughput, ${kib(size)} bodies, ${connections} connections`,
    unit: "req/s",
    measured: spread(rps(fedT)),
    baselineName: "direct A→nginx→brig",
    baseline: spread(rps(dirT)),
    relation: "ratio",
    relative: spread(tRatio),
    target: "ratio ≥ 0.5",
    met: median(tRatio) >= 0.5,
    note: `federator CPU per request: A ${cpu("a").toFixed(2)} ms, B ${cpu("b").toFixed(2)} ms`,
  });
  for (const [side, role] of [["a", "A (egress)"], ["b", bName]] as const) {
    const perRequest = fedT.map((r) => r.federatorCpuMsPerRequest?.[side] ?? Number.NaN);
    const cap = size <= 1024 ? 0.25 : undefined;
    // What the direct path spends per request end to end at its throughput: the time budget a hop may take a share of.
    const budget = dirT.map((r) => 1000 / r.requestsPerSecond);
    figures.push({
      name: `${label} CPU per request, ${kib(size)}, ${role}`,
      unit: "ms",
      measured: spread(perRequest),
      baselineName: "direct path's time per request at throughput",
      baseline: spread(budget),
      relation: "ratio",
      relative: spread(ratios(perRequest, budget)),
      ...(cap === undefined ? {} : { target: `≤ ${cap} ms`, met: median(perRequest) <= cap }),
      note: "user + system CPU of the federator process over the throughput run, per egress request",
    });
  }
  const peakRss = fedT.flatMap((r) => (r.federatorPeakRssMiB ? [Math.max(r.federatorPeakRssMiB.a, r.federatorPeakRssMiB.b)] : []));
  const idle = Math.max(idleRss.a, idleRss.b);
  figures.push({
    name: `${label} RSS under load, ${kib(size)}, ${connections} connections`,
    unit: "MiB",
    measured: spread(peakRss),
    baselineName: "the same federator idle, before the first run",
    baseline: single(idle),
    relation: "ratio",
    relative: spread(peakRss.map((v) => v / idle)),
    target: "< 150 MiB",
    met: Math.max(...peakRss) < 150,
    note: `the larger of A's and B's peak, sampled every 100 ms; A ${median(fedT.map((r) => r.federatorPeakRssMiB?.a ?? Number.NaN)).toFixed(0)}, B ${median(fedT.map((r) => r.federatorPeakRssMiB?.b ?? Number.NaN)).toFixed(0)} MiB (medians)`,
  });
  figures.push({ name: `${label} latency p50, ${kib(size)}, 1 connection`, unit: "ms", measured: spread(p(fedL, "p50Ms")), baselineName: "direct", baseline: spread(p(dirL, "p50Ms")), relation: "difference", relative: spread(differences(p(fedL, "p50Ms"), p(dirL, "p50Ms"))) });
  const added = differences(p(fedL, "p99Ms"), p(dirL, "p99Ms"));
  figures.push({ name: `${label} latency p99, ${kib(size)}, 1 connection`, unit: "ms", measured: spread(p(fedL, "p99Ms")), baselineName: "direct", baseline: spread(p(dirL, "p99Ms")), relation: "difference", relative: spread(added), target: `added ≤ ${size <= 1024 ? 2 : 5} ms`, met: median(added) <= (size <= 1024 ? 2 : 5) });
  figures.push({ name: `${label} latency p99 under load, ${kib(size)}, ${connections} connections`, unit: "ms", measured: spread(p(fedT, "p99Ms")), baselineName: "direct", baseline: spread(p(dirT, "p99Ms")), relation: "difference", relative: spread(differences(p(fedT, "p99Ms"), p(dirT, "p99Ms"))), note: "includes queueing at saturation" });
  return figures;
}

function federatorFigures(runs: readonly PathRun[], poolSize: number, sinceStart: EgressTotals, idleRss: { readonly a: number; readonly b: number }): Figure[] {
  const figures: Figure[] = [];
  const sizes = [...new Set(runs.map((r) => r.bodyBytes))].sort((a, b) => a - b);
  for (const size of sizes) {
    for (const [path, label, bName] of [["federated", "Federator", "B (ingress)"], ["passthrough", "Passthrough federator", "B (Passthrough ingress)"]] as const) {
      if (select(runs, path, "throughput", size).length > 0) figures.push(...pathFigures(runs, path, label, bName, size, idleRss));
    }
  }
  const federated = runs.filter((r) => r.path === "federated" && r.egressRequests !== undefined && r.egressRequests > 0);
  const per10k = federated.map((r) => ((r.handshakes ?? 0) / (r.egressRequests ?? 1)) * 10_000);
  const overall = per10kSinceStart(sinceStart);
  figures.push({
    name: "TLS handshakes per 10k egress requests (A→B), per measurement",
    unit: "",
    measured: spread(per10k),
    baselineName: "pooled sessions (--pool-size)",
    baseline: single(poolSize),
    relation: "ratio",
    relative: spread(per10k.map((v) => v / poolSize)),
    target: "≤ pooled sessions",
    met: median(per10k) <= poolSize && overall <= poolSize,
    note: `since A's federator started: ${sinceStart.handshakes} TLS connections for ${sinceStart.requests} egress requests = ${overall.toFixed(2)} per 10k`,
  });
  return figures;
}

function resyncFigure(name: string, r: OperatorResult["noop"]): Figure {
  return {
    name,
    unit: "writes",
    measured: single(r.writes),
    baselineName: "reconciles run",
    baseline: single(r.reconciles),
    relation: "ratio",
    relative: single(r.writes / Math.max(1, r.reconciles)),
    target: "0",
    met: r.writes === 0,
    ...(r.list.length > 0 ? { note: r.list.slice(0, 12).join(", ") } : {}),
  };
}

function operatorFigures(o: OperatorResult): Figure[] {
  const converge = o.runs.map((r) => r.convergeMs);
  const bare = o.runs.map((r) => r.bareCreateMs);
  const convergeRatio = ratios(converge, bare);
  const writes = o.runs.map((r) => r.outputWrites);
  const peers = o.peers;
  const figures: Figure[] = [
    { name: `${peers} FederationPeers applied at once → CA bundle + federator.yaml`, unit: "ms", measured: spread(converge), baselineName: `API server creating the same ${peers}`, baseline: spread(bare), relation: "ratio", relative: spread(convergeRatio), target: "≤ 1.5×", met: median(convergeRatio) <= 1.5 },
    { name: `Writes to output objects for those ${peers} peers`, unit: "writes", measured: spread(writes), baselineName: "peer creates", baseline: single(peers), relation: "ratio", relative: spread(writes.map((w) => w / peers)), target: "≤ 10", met: median(writes) <= 10, note: `status writes: ${spread(o.runs.map((r) => r.statusWrites)).median}` },
    resyncFigure(`No-op resync of ${peers} peers (running operator)`, o.noop),
    {
      name: "Operator RSS idle (no peer), as its image runs it",
      unit: "MiB",
      measured: single(o.rss0.rssMiB),
      baselineName: "a Node process doing nothing",
      baseline: single(o.bareNodeMiB),
      relation: "ratio",
      relative: single(o.rss0.rssMiB / o.bareNodeMiB),
      target: "< 100 MiB",
      met: o.rss0.rssMiB < 100,
      note: `from the TypeScript sources (npm run operator): ${o.rss0Sources.rssMiB.toFixed(0)} MiB; V8 heap used ${o.rss0.heapUsedMiB.toFixed(0)} MiB`,
    },
    resyncFigure(`Restarted operator on ${peers} unchanged peers`, o.restart),
    { name: `Operator RSS at ${peers} peers`, unit: "MiB", measured: single(o.rss1k.rssMiB), baselineName: "RSS with no peer", baseline: single(o.rss0.rssMiB), relation: "ratio", relative: single(o.rss1k.rssMiB / o.rss0.rssMiB), note: `after ${o.runs.length} create/delete rounds; V8 heap used ${o.rss1k.heapUsedMiB.toFixed(0)} MiB (${o.rss0.heapUsedMiB.toFixed(0)} MiB with no peer)` },
    {
      name: `Operator RSS at ${o.large.peers} peers`,
      unit: "MiB",
      measured: single(o.large.rssMiB),
      baselineName: "RSS with no peer",
      baseline: single(o.rss0.rssMiB),
      relation: "ratio",
      relative: single(o.large.rssMiB / o.rss0.rssMiB),
      target: "< 256 MiB",
      met: o.large.rssMiB < 256,
      note: `${o.large.converged ? "converged" : "did NOT converge"}; max sampled ${o.large.maxRssMiB.toFixed(0)} MiB, V8 heap used ${o.large.heapUsedMiB.toFixed(0)} MiB${o.large.problem ? `; ${o.large.problem}` : ""}`,
    },
  ];
  return figures;
}

function reloadFigures(mode: "Watch" | "Files", samples: readonly ReloadSample[]): Figure[] {
  const enforced = samples.map((s) => s.fromStoredMs);
  const stored = samples.map((s) => s.storeMs);
  const flaps = samples.reduce((sum, s) => sum + s.flaps, 0);
  const others = new Map<string, number>();
  for (const sample of samples) for (const [what, n] of Object.entries(sample.others)) others.set(what, (others.get(what) ?? 0) + n);
  const flapKinds = new Map<string, number>();
  for (const sample of samples) for (const what of sample.flapAnswers) flapKinds.set(what, (flapKinds.get(what) ?? 0) + 1);
  const flapText = [...flapKinds].map(([what, n]) => `${n}× ${what}`).join("; ");
  const otherText = [...others].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([what, n]) => `${n}× ${what}`).join("; ");
  const pct = (values: readonly number[], p: number) => percentile(values, p);
  const asSpread = (values: readonly number[]): Spread => ({ min: pct(values, 0), median: pct(values, 50), max: pct(values, 99), n: values.length });
  const p99 = pct(enforced, 99);
  return [
    {
      name: `Apply → enforced, ${mode} mode (${samples.length} suspend/resume changes; p50 [min–p99])`,
      unit: "ms",
      measured: asSpread(enforced),
      baselineName: "API server storing the PATCH",
      baseline: asSpread(stored),
      relation: "ratio",
      relative: single(pct(enforced, 50) / pct(stored, 50)),
      ...(mode === "Watch" ? { target: "p99 < 1 s", met: p99 < 1000 } : {}),
      note: `p99 ${p99.toFixed(0)} ms; suspend p50 ${pct(samples.filter((s) => s.change === "suspend").map((s) => s.fromStoredMs), 50).toFixed(0)} ms, resume p50 ${pct(samples.filter((s) => s.change === "resume").map((s) => s.fromStoredMs), 50).toFixed(0)} ms; ${flaps} flap(s)${flapText ? ` (the new behaviour showed, then the old one: ${flapText})` : ""}${otherText ? `; refusals other than federation-denied: ${otherText}` : ""}`,
    },
  ];
}

export function figures(raw: RawResults): Figure[] {
  return [
    ...(raw.federator ? federatorFigures(raw.federator.runs, raw.federator.poolSize, raw.federator.sinceStart, raw.federator.idleRssMiB) : []),
    ...(raw.operator ? operatorFigures(raw.operator) : []),
    ...(raw.reload?.watch ? reloadFigures("Watch", raw.reload.watch) : []),
    ...(raw.reload?.files ? reloadFigures("Files", raw.reload.files) : []),
  ];
}

/** The numbers latest.json promises (medians over repeats; the worse body size where there are two). */
export function headline(raw: RawResults): Headline {
  const result: { -readonly [K in keyof Headline]: Headline[K] } = {};
  if (raw.federator) {
    const runs = raw.federator.runs;
    const sizes = [...new Set(runs.map((r) => r.bodyBytes))];
    const ratio = (size: number) => median(ratios(select(runs, "federated", "throughput", size).map((r) => r.requestsPerSecond), select(runs, "direct", "throughput", size).map((r) => r.requestsPerSecond)));
    const added = (size: number) => median(differences(select(runs, "federated", "latency", size).map((r) => r.p99Ms), select(runs, "direct", "latency", size).map((r) => r.p99Ms)));
    // Counted from the federator's start, so the handshake that opened the pooled session is in it.
    result.federator = { throughputRatio: Math.min(...sizes.map(ratio)), p99AddedMs: Math.max(...sizes.map(added)), handshakesPer10k: per10kSinceStart(raw.federator.sinceStart) };
  }
  if (raw.operator) {
    const o = raw.operator;
    result.operator = {
      convergeRatio1000: median(ratios(o.runs.map((r) => r.convergeMs), o.runs.map((r) => r.bareCreateMs))),
      outputWrites1000: median(o.runs.map((r) => r.outputWrites)),
      noopWrites: o.noop.writes,
      restartWrites: o.restart.writes,
      rssMiB1k: o.rss1k.rssMiB,
      rssMiB10k: o.large.rssMiB,
      converged10k: o.large.converged,
    };
  }
  if (raw.reload) {
    const of = (samples: readonly ReloadSample[] | undefined, p: number) => (samples ? percentile(samples.map((s) => s.fromStoredMs), p) : undefined);
    const entries = { watchP50Ms: of(raw.reload.watch, 50), watchP99Ms: of(raw.reload.watch, 99), filesP50Ms: of(raw.reload.files, 50), filesP99Ms: of(raw.reload.files, 99) };
    result.reload = Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
  }
  return result;
}

function number(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(Math.abs(value) < 10 ? 2 : 0);
}

function cell(s: Spread, unit: string): string {
  if (s.n <= 1 || s.min === s.max) return `${number(s.median)}${unit ? ` ${unit}` : ""}`;
  return `${number(s.median)} [${number(s.min)}–${number(s.max)}]${unit ? ` ${unit}` : ""}`;
}

const verdict = (f: Figure) => (f.met === undefined ? "–" : f.met ? "met" : "**missed**");

export function markdownTable(list: readonly Figure[]): string {
  const rows = list.map((f) => {
    const relative = f.relation === "ratio" ? cell(f.relative, "×") : cell(f.relative, f.unit).replace(/^(?=\d)/, "+");
    return `| ${f.name} | ${cell(f.measured, f.unit)} | ${f.baselineName}: ${cell(f.baseline, f.unit === "writes" ? "" : f.unit)} | ${relative} | ${f.target ?? "–"} | ${verdict(f)} | ${f.note ?? ""} |`;
  });
  return [
    "| figure | measured: median [min–max] | baseline (same run) | vs baseline | target | | note |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
