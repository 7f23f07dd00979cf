// A real Traefik (built by e2e/traefik/build.sh) as a managed process for tests: run outside the
// cluster against the test API server (KUBECONFIG), one HTTPS entry point on 127.0.0.x.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const TRAEFIK_VERSION = "v3.7.13";

/** The cached binary, building it (idempotent, cached) when it is missing. */
export function traefikBinary(): string {
  const cached = join(process.env["XDG_CACHE_HOME"] ?? join(process.env["HOME"] ?? "/root", ".cache"), "wire-federation", `traefik-${TRAEFIK_VERSION}`, "traefik");
  if (existsSync(cached)) return cached;
  const built = spawnSync("bash", [join(import.meta.dirname, "build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const path = built.stdout.trim().split("\n").at(-1) ?? "";
  if (built.status !== 0 || !existsSync(path)) throw new Error(`e2e/traefik/build.sh failed (${built.status})`);
  return path;
}

export interface TraefikProcess {
  output(): string;
  stop(): Promise<void>;
}

export function startTraefik(options: { kubeconfig: string; listen: string; args: readonly string[] }): TraefikProcess {
  const child: ChildProcess = spawn(traefikBinary(), [`--entrypoints.websecure.address=${options.listen}`, "--log.level=INFO", "--global.checknewversion=false", "--global.sendanonymoususage=false", ...options.args], {
    env: { ...process.env, KUBECONFIG: options.kubeconfig },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  return {
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
