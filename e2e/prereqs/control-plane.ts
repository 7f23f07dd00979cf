// The prerequisite check as the demo and the test setup run it: the control plane's binaries
// decide whether Go and build space are needed.
import { ASSETS, cacheDir, locateAssets } from "../controlplane/assets.ts";
import { ensurePrerequisites } from "./ensure.ts";

export function ensureMachineReady(task: string, install: boolean, log: (line: string) => void): Promise<void> {
  const buildNeeded = Object.keys(locateAssets()).length < Object.keys(ASSETS).length;
  return ensurePrerequisites({ task, install, log, buildNeeded, cacheDir: cacheDir() });
}
