// Lays out a ConfigMap/Secret volume the way the kubelet's AtomicWriter does, so the federator's
// Files mode is tested against the real update pattern:
//   dir/..2026_11_26_05_40_00.123456789/<key>   the payload of one version
//   dir/..data -> ..2026_…                        swapped atomically by rename(2)
//   dir/<key> -> ..data/<key>                     stable per-key links
import { mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from "node:fs";
import { join } from "node:path";

const DATA = "..data";

function versionDirName(): string {
  const now = new Date();
  const stamp = now.toISOString().replace(/[-:T]/g, "_").replace(/\..*$/, "");
  return `..${stamp}.${process.hrtime.bigint().toString().slice(-9)}`;
}

/** Writes `payload` as the volume's new content in one atomic step; returns false when nothing changed. */
export function projectVolume(dir: string, payload: Readonly<Record<string, string>>, current?: Readonly<Record<string, string>>): boolean {
  if (current !== undefined && JSON.stringify(Object.entries(current).sort()) === JSON.stringify(Object.entries(payload).sort())) return false;
  mkdirSync(dir, { recursive: true });
  const version = versionDirName();
  mkdirSync(join(dir, version));
  for (const [key, value] of Object.entries(payload)) writeFileSync(join(dir, version, key), value, { mode: 0o644 });
  const previous = existsSync(join(dir, DATA)) ? readlinkSync(join(dir, DATA)) : undefined;
  const tmp = join(dir, `${DATA}_tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, join(dir, DATA));
  for (const key of Object.keys(payload)) {
    const link = join(dir, key);
    if (!existsSync(link) || !lstatSync(link).isSymbolicLink()) {
      rmSync(link, { force: true });
      symlinkSync(join(DATA, key), link);
    }
  }
  // Keys that disappeared lose their link; the old version directory goes last.
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith("..") || entry in payload) continue;
    rmSync(join(dir, entry), { force: true });
  }
  if (previous !== undefined && previous !== version) rmSync(join(dir, previous), { recursive: true, force: true });
  return true;
}
