// Checks the machine before anything slow starts: as root on Debian/Ubuntu it installs the missing
// packages itself (saying what it runs); otherwise, or when something else is missing, it stops at
// once with the exact commands to run.
import { spawn } from "node:child_process";
import { aptInstallCommand } from "./programs.ts";
import { spawnFailure } from "./not-found.ts";
import { probe, type ProbeOptions } from "./probe.ts";
import { packagesFor, problems, report } from "./requirements.ts";

export class PrerequisiteError extends Error {
  override readonly name = "PrerequisiteError";
}

export interface EnsureOptions extends ProbeOptions {
  /** What is being started, for the report ("npm run demo"). */
  readonly task: string;
  /** Install missing Debian packages when running as root with apt-get (the demo does; tests do not). */
  readonly install: boolean;
  /** Where progress lines go. */
  readonly log: (line: string) => void;
}

function run(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    child.once("error", (error) => reject(spawnFailure("sh", error)));
    child.once("close", (code) => (code === 0 ? resolve() : reject(new PrerequisiteError(`${command} failed with exit code ${code}; see its output above`))));
  });
}

/** Resolves when the machine has what `task` needs (after installing packages if allowed); throws PrerequisiteError otherwise. */
export async function ensurePrerequisites(options: EnsureOptions): Promise<void> {
  const facts = await probe(options);
  let found = problems(facts);
  const packages = packagesFor(found);
  if (packages.length > 0 && options.install && facts.canApt) {
    const command = aptInstallCommand(packages);
    options.log(`installing what ${options.task} needs: ${command}`);
    await run(command);
    found = problems(await probe(options));
  }
  if (found.length > 0) throw new PrerequisiteError(report(options.task, found));
}
