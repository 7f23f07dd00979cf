// Finds the control-plane binaries: explicit overrides first (TEST_ASSET_* per binary, then a
// KUBEBUILDER_ASSETS directory), then the build cache, and only then builds them from source.
import { spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { spawnFailure } from "../prereqs/not-found.ts";

export interface ControlPlaneAssets {
  readonly etcd: string;
  readonly kubeApiServer: string;
  readonly kubeControllerManager: string;
  readonly kubectl: string;
}

type AssetName = keyof ControlPlaneAssets;

interface AssetSpec {
  readonly file: string;
  readonly env: string;
}

export const ASSETS: Readonly<Record<AssetName, AssetSpec>> = {
  etcd: { file: "etcd", env: "TEST_ASSET_ETCD" },
  kubeApiServer: { file: "kube-apiserver", env: "TEST_ASSET_KUBE_APISERVER" },
  kubeControllerManager: { file: "kube-controller-manager", env: "TEST_ASSET_KUBE_CONTROLLER_MANAGER" },
  kubectl: { file: "kubectl", env: "TEST_ASSET_KUBECTL" },
};

const ASSET_NAMES = Object.keys(ASSETS) as AssetName[];
const HERE = import.meta.dirname;
const BUILD_SCRIPT = join(HERE, "build.sh");

type Env = Readonly<Record<string, string | undefined>>;

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function requireVersion(goMod: string, module: string): string {
  const text = readFileSync(join(HERE, "go", goMod, "go.mod"), "utf8");
  const match = new RegExp(`^require ${module.replaceAll(".", "\\.")} (\\S+)`, "m").exec(text);
  if (!match?.[1]) throw new Error(`e2e/controlplane/go/${goMod}/go.mod has no "require ${module}" line`);
  return match[1];
}

/** The directory build.sh fills; the same rule as in the script. */
export function cacheDir(env: Env = process.env): string {
  if (env["WIRE_FEDERATION_ASSETS"]) return env["WIRE_FEDERATION_ASSETS"];
  const k8s = requireVersion("kubernetes", "k8s.io/kubernetes");
  const etcd = requireVersion("etcd", "go.etcd.io/etcd/server/v3");
  const base = env["XDG_CACHE_HOME"] || join(env["HOME"] ?? homedir(), ".cache");
  return join(base, "wire-federation", `k8s-${k8s}-etcd-${etcd}`);
}

/**
 * Where each binary comes from without building anything: TEST_ASSET_* wins, then
 * KUBEBUILDER_ASSETS, then the cache. A binary found nowhere is left out.
 */
export function locateAssets(
  env: Env = process.env,
  exists: (path: string) => boolean = isExecutable,
): Partial<Record<AssetName, string>> {
  const dirs = [env["KUBEBUILDER_ASSETS"], cacheDir(env)].filter((d): d is string => Boolean(d));
  const found: Partial<Record<AssetName, string>> = {};
  for (const name of ASSET_NAMES) {
    const { file, env: variable } = ASSETS[name];
    const explicit = env[variable];
    if (explicit) {
      if (!exists(explicit)) throw new Error(`${variable}=${explicit} is not an executable file`);
      found[name] = explicit;
      continue;
    }
    const path = dirs.map((dir) => join(dir, file)).find(exists);
    if (path) found[name] = path;
  }
  return found;
}

function missingAssets(found: Partial<Record<AssetName, string>>): AssetName[] {
  return ASSET_NAMES.filter((name) => !found[name]);
}

/** Runs build.sh (its progress goes to our stderr) and returns the directory it prints last. */
function runBuildScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [BUILD_SCRIPT], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.on("error", (error) => reject(spawnFailure("bash", error)));
    child.on("close", (code) => {
      const dir = stdout.trim().split("\n").at(-1);
      if (code === 0 && dir) resolve(dir);
      else reject(new Error(`bash ${BUILD_SCRIPT} failed with exit code ${code}; see its output above`));
    });
  });
}

let resolving: Promise<ControlPlaneAssets> | undefined;

/** The four binaries, building them from source (once per process) when they are not found. */
export function resolveAssets(): Promise<ControlPlaneAssets> {
  resolving ??= resolveOnce().catch((error: unknown) => {
    resolving = undefined;
    throw error;
  });
  return resolving;
}

async function resolveOnce(): Promise<ControlPlaneAssets> {
  const found = locateAssets();
  if (missingAssets(found).length > 0) {
    process.stderr.write(`[controlplane] building missing binaries: ${missingAssets(found).join(", ")}\n`);
    const dir = await runBuildScript();
    for (const name of missingAssets(found)) {
      const path = join(dir, ASSETS[name].file);
      if (!isExecutable(path)) throw new Error(`build.sh finished but ${path} is not executable`);
      found[name] = path;
    }
  }
  const { etcd, kubeApiServer, kubeControllerManager, kubectl } = found;
  if (!etcd || !kubeApiServer || !kubeControllerManager || !kubectl) throw new Error("unreachable: assets incomplete");
  return { etcd, kubeApiServer, kubeControllerManager, kubectl };
}

/** Path of the kubectl binary that matches the test control plane. */
export async function kubectlPath(): Promise<string> {
  return (await resolveAssets()).kubectl;
}
