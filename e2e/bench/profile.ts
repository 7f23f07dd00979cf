// CPU profiles of the federators under load (`npm run bench -- --profile`): node's own sampling
// profiler (--cpu-prof) in each federator process, written when it exits, summarised here as the
// functions with the most self time.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The parts of a V8 .cpuprofile (Chrome DevTools' Profile) this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }; readonly hitCount?: number }[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface HotFunction {
  readonly name: string;
  /** Share of all samples spent in the function itself, 0…1. */
  readonly selfShare: number;
}

/** Sampling every 200 µs: fine enough for per-request costs of a few hundred µs. */
export function profileFlags(dir: string): string[] {
  return ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=200"];
}

function location(url: string, line: number): string {
  const path = url.replace(/^file:\/\//, "");
  const file = /\/(node_modules|dist\/js)\//.test(path) ? path.replace(/^.*\/(node_modules|dist\/js)\//, "") : path.replace(/^.*\/(federator|lib|operator|e2e)\//, "$1/");
  return file === "" ? "" : ` ${file}:${line + 1}`;
}

/** The `count` functions with the most self samples, merged by name and place across the call tree. */
export function hotFunctions(profile: CpuProfile, count: number): HotFunction[] {
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const n = node.hitCount ?? 0;
    total += n;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName === "" ? "(anonymous)" : functionName}${location(url, lineNumber)}`;
    hits.set(key, (hits.get(key) ?? 0) + n);
  }
  return [...hits]
    .sort((x, y) => y[1] - x[1])
    .slice(0, count)
    .map(([name, n]) => ({ name, selfShare: total === 0 ? 0 : n / total }));
}

/** Every .cpuprofile in `dir`, summarised. */
export function summariseProfiles(dir: string, count: number): { file: string; hot: HotFunction[] }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".cpuprofile"))
    .map((file) => ({ file: join(dir, file), hot: hotFunctions(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile, count) }));
}
