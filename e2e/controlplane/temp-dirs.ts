// Each control plane lives in its own temp dir, marked with the pid of the process that owns it.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forgetTempDir, removeOnExit } from "./processes.ts";

const DIR_PREFIX = "wire-controlplane-";
const OWNER_FILE = "owner.pid";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temp dirs of control planes whose owning process is gone: after a SIGKILL nothing ran
 * to remove them (its children died with it, through the parent-death signal).
 */
export async function sweepAbandonedDirs(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => []);
  await Promise.all(
    entries
      .filter((entry) => entry.startsWith(DIR_PREFIX))
      .map(async (entry) => {
        const dir = join(tmpdir(), entry);
        const owner = Number(await readFile(join(dir, OWNER_FILE), "utf8").catch(() => "NaN"));
        if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) await rm(dir, { recursive: true, force: true });
      }),
  );
}

/** A fresh temp dir for control plane `name`, removed when this process exits at the latest. */
export async function createControlPlaneDir(name: string): Promise<string> {
  await sweepAbandonedDirs();
  const dir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${name.replace(/[^a-z0-9-]/gi, "-")}-`));
  removeOnExit(dir);
  await writeFile(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

/**
 * Removes the dir; with WIRE_FEDERATION_KEEP_CONTROLPLANE=1 keeps keys, logs and data for a
 * post-mortem instead (unmarked, so never swept).
 */
export async function releaseControlPlaneDir(dir: string): Promise<void> {
  if (process.env["WIRE_FEDERATION_KEEP_CONTROLPLANE"]) await rm(join(dir, OWNER_FILE), { force: true });
  else await rm(dir, { recursive: true, force: true });
  forgetTempDir(dir);
}
