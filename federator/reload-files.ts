// Files mode: the ConfigMap and Secrets are mounted as directories. The kubelet updates them by
// writing a new timestamped directory and renaming the `..data` symlink over the old one, so we
// watch the directories (a rename there is the signal), debounce, and re-read everything. A slow
// poll catches what a watcher may miss (e.g. a directory replaced under us).
import { watch, type FSWatcher } from "node:fs";
import type { Logger } from "../lib/log.ts";
import { readSources, sourcesDigest, watchedDirectories, type FileLocations } from "./config.ts";
import type { Federator } from "./federator.ts";

export interface FileReloaderOptions {
  readonly locations: FileLocations;
  readonly federator: Pick<Federator, "reload" | "reject" | "snapshot">;
  readonly log: Logger;
  readonly debounceMs?: number;
  readonly pollIntervalMs?: number;
}

export interface FileReloader {
  /** Re-reads the inputs now; resolves to whether the result is applied (or unchanged). */
  reloadNow(): Promise<boolean>;
  close(): void;
}

export function watchFiles(options: FileReloaderOptions): FileReloader {
  const debounceMs = options.debounceMs ?? 50;
  let watchers: FSWatcher[] = [];
  let watched: readonly string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  let again = false;
  let lastFailure: string | undefined;
  let closed = false;

  function rewatch(): void {
    const dirs = watchedDirectories(options.federator.snapshot().config, options.locations);
    if (dirs.join("\0") === watched.join("\0")) return;
    for (const watcher of watchers) watcher.close();
    watchers = dirs.flatMap((dir) => {
      try {
        const watcher = watch(dir, { persistent: false }, () => schedule());
        watcher.on("error", (error) => options.log.warn({ dir, message: error.message }, "directory watch failed; relying on polling"));
        return [watcher];
      } catch (error) {
        options.log.warn({ dir, message: error instanceof Error ? error.message : String(error) }, "cannot watch directory; relying on polling");
        return [];
      }
    });
    watched = dirs;
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reloadNow(), debounceMs);
  }

  async function once(): Promise<boolean> {
    const read = await readSources(options.locations);
    if (!read.ok) {
      if (lastFailure !== read.reason) options.federator.reject(read.reason, "files");
      lastFailure = read.reason;
      return false;
    }
    const digest = sourcesDigest(read.sources);
    if (lastFailure === digest) return false;
    const applied = options.federator.reload(read.sources, "files");
    lastFailure = applied ? undefined : digest;
    if (applied) rewatch();
    return applied;
  }

  async function reloadNow(): Promise<boolean> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = once().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        schedule();
      }
    });
    return running;
  }

  rewatch();
  const poll = setInterval(() => void reloadNow(), options.pollIntervalMs ?? 10_000);
  poll.unref();

  return {
    reloadNow,
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const watcher of watchers) watcher.close();
    },
  };
}
