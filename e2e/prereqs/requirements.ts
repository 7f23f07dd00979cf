// What the demo and the tests need from the machine, decided from probed facts (pure; probe.ts
// gathers the facts, ensure.ts acts on the decision).
import { aptInstallCommand, PROGRAMS, type ProgramName } from "./programs.ts";

/** The loopback addresses the two demo backends (and the federation tests) bind to. */
export const LOOPBACK_ADDRESSES = ["127.0.0.2", "127.0.0.3"] as const;

const GIB = 1024 ** 3;
/** Go's module and build caches for kube-apiserver, kube-controller-manager, kubectl and etcd take ~2.5 GiB. */
export const FREE_BYTES_TO_BUILD = 4 * GIB;
/** etcd's data, logs and temp directories of a run. */
export const FREE_BYTES_TO_RUN = 1 * GIB;

/** The oldest Go that builds our modules itself, and the oldest that fetches a newer toolchain (GOTOOLCHAIN=auto). */
const GO_BUILDS: readonly [number, number] = [1, 26];
const GO_SWITCHES: readonly [number, number] = [1, 21];

export interface Facts {
  /** Whether each program was found (executable at its path, or on PATH). */
  readonly programs: Readonly<Record<ProgramName, boolean>>;
  /** The path each program is looked for at (for messages). */
  readonly paths: Readonly<Record<ProgramName, string>>;
  /** `go env GOVERSION` (e.g. "go1.26.8") and `GOTOOLCHAIN`, when go was found. */
  readonly goVersion?: string;
  readonly goToolchain?: string;
  /** Whether a TCP socket could bind each address of LOOPBACK_ADDRESSES. */
  readonly loopback: Readonly<Record<string, boolean>>;
  /** Free bytes for an unprivileged user on the file system of `diskPath` (the build cache). */
  readonly freeBytes: number;
  readonly diskPath: string;
  /** Whether something must still be built from source with Go (e.g. the control plane is not cached). */
  readonly buildNeeded: boolean;
  /** Running as root with apt-get on a Debian-like system, so missing packages can be installed. */
  readonly canApt: boolean;
}

export interface Problem {
  /** What is wrong, e.g. "nginx: not found at /usr/sbin/nginx". */
  readonly what: string;
  /** The Debian package that fixes it, when one does. */
  readonly debianPackage?: string;
  /** What to do otherwise (a command to run). */
  readonly fix?: string;
}

/** Programs every run needs, and the ones needed only to build from source. */
const ALWAYS: readonly ProgramName[] = ["nginx", "dnsmasq", "openssl"];
const TO_BUILD: readonly ProgramName[] = ["bash", "go"];

function parseGoVersion(version: string): [number, number] | undefined {
  const match = /^go(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function atLeast(version: readonly [number, number], min: readonly [number, number]): boolean {
  return version[0] > min[0] || (version[0] === min[0] && version[1] >= min[1]);
}

function goProblem(facts: Facts): Problem | undefined {
  const version = facts.goVersion === undefined ? undefined : parseGoVersion(facts.goVersion);
  if (version === undefined || atLeast(version, GO_BUILDS)) return undefined;
  const fetches = atLeast(version, GO_SWITCHES) && facts.goToolchain !== "local";
  if (fetches) return undefined;
  const why = facts.goToolchain === "local" ? " and GOTOOLCHAIN=local forbids fetching a newer toolchain" : "";
  return { what: `go: ${facts.goVersion} is too old (need go1.26 or later)${why}`, fix: PROGRAMS.go.manual };
}

function programProblems(facts: Facts): Problem[] {
  const needed = [...ALWAYS, ...(facts.buildNeeded ? TO_BUILD : [])];
  return needed
    .filter((name) => !facts.programs[name])
    .map((name) => {
      const program = PROGRAMS[name];
      const path = facts.paths[name];
      const what = `${name}: not found at ${path}`;
      // An override pointing nowhere is fixed by the override, not by a package.
      if (path !== program.path && program.env) return { what, fix: `point ${program.env} at an executable ${name}, or unset it` };
      return program.manual ? { what, fix: program.manual } : { what, debianPackage: program.debianPackage };
    });
}

function loopbackProblems(facts: Facts): Problem[] {
  return LOOPBACK_ADDRESSES.filter((address) => !facts.loopback[address]).map((address) => ({
    what: `loopback address ${address}: cannot bind to it`,
    fix: `ip address add ${address}/8 dev lo (as root; on macOS: sudo ifconfig lo0 alias ${address} up)`,
  }));
}

function diskProblem(facts: Facts): Problem | undefined {
  const needed = facts.buildNeeded ? FREE_BYTES_TO_BUILD : FREE_BYTES_TO_RUN;
  if (facts.freeBytes >= needed) return undefined;
  const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;
  const why = facts.buildNeeded ? " to build the control plane from source" : "";
  return { what: `disk: ${gib(facts.freeBytes)} free at ${facts.diskPath}, need ${gib(needed)}${why}`, fix: "free some space (or set XDG_CACHE_HOME to a larger disk)" };
}

/** Everything that stands in the way of a run, in the order a person would fix it. */
export function problems(facts: Facts): Problem[] {
  const go = facts.programs.go ? goProblem(facts) : undefined;
  const disk = diskProblem(facts);
  return [...programProblems(facts), ...(go ? [go] : []), ...loopbackProblems(facts), ...(disk ? [disk] : [])];
}

/** The Debian packages that would fix some of `found`, deduplicated, in order. */
export function packagesFor(found: readonly Problem[]): string[] {
  return [...new Set(found.flatMap((p) => (p.debianPackage ? [p.debianPackage] : [])))];
}

/** The report for problems nobody fixed: each problem, then the exact commands to run. */
export function report(task: string, found: readonly Problem[]): string {
  const lines = [`${task} cannot run on this machine yet:`, ...found.map((p) => `  - ${p.what}`)];
  const packages = packagesFor(found);
  const commands = [...(packages.length > 0 ? [`${aptInstallCommand(packages)}   # as root (Debian/Ubuntu)`] : []), ...found.flatMap((p) => (p.fix ? [p.fix] : []))];
  lines.push("Fix it with:", ...commands.map((c) => `  ${c}`), `then run ${task} again.`);
  return lines.join("\n");
}
