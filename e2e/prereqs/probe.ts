// Gathers the facts requirements.ts decides on: which programs exist, Go's version, whether the
// loopback addresses can be bound, free disk space, and whether apt-get can install packages.
import { execFileSync } from "node:child_process";
import { existsSync, statfsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { programPath, PROGRAMS, type ProgramName } from "./programs.ts";
import { LOOPBACK_ADDRESSES, type Facts } from "./requirements.ts";
import { which } from "./which.ts";

type Env = Readonly<Record<string, string | undefined>>;

function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}

/** The nearest existing directory at or above `path` (the cache may not exist yet). */
function existingAncestor(path: string): string {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function goEnv(go: string): { goVersion?: string; goToolchain?: string } {
  try {
    const [goVersion, goToolchain] = execFileSync(go, ["env", "GOVERSION", "GOTOOLCHAIN"], { encoding: "utf8", timeout: 5000 }).split("\n");
    return { ...(goVersion ? { goVersion } : {}), ...(goToolchain ? { goToolchain } : {}) };
  } catch {
    return {};
  }
}

export interface ProbeOptions {
  /** Whether something still has to be built with Go. */
  readonly buildNeeded: boolean;
  /** Where the build cache lives (its file system is the one checked for space). */
  readonly cacheDir: string;
  readonly env?: Env;
}

export async function probe({ buildNeeded, cacheDir, env = process.env }: ProbeOptions): Promise<Facts> {
  const names = Object.keys(PROGRAMS) as ProgramName[];
  const paths = Object.fromEntries(names.map((name) => [name, programPath(name, env)])) as Record<ProgramName, string>;
  const found = Object.fromEntries(names.map((name) => [name, which(paths[name], env)])) as Record<ProgramName, string | undefined>;
  const loopback = Object.fromEntries(await Promise.all(LOOPBACK_ADDRESSES.map(async (a) => [a, await canBind(a)] as const)));
  const diskPath = existingAncestor(cacheDir);
  const stats = statfsSync(diskPath);
  const aptGet = which("apt-get", env);
  return {
    programs: Object.fromEntries(names.map((name) => [name, found[name] !== undefined])) as Record<ProgramName, boolean>,
    paths,
    ...(found.go ? goEnv(found.go) : {}),
    loopback,
    freeBytes: stats.bavail * stats.bsize,
    diskPath,
    buildNeeded,
    canApt: process.getuid?.() === 0 && aptGet !== undefined && existsSync("/etc/debian_version"),
  };
}
