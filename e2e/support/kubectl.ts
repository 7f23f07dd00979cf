// Runs the real kubectl against a kubeconfig, the way a user would.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { kubectlPath } from "../controlplane/assets.ts";
import { spawnFailure } from "../prereqs/not-found.ts";

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  readonly kubeconfig: string;
  /** The kubectl binary; default: the one that belongs to the test control plane. */
  readonly binary?: string;
  /** Written to kubectl's stdin (e.g. for `apply -f -`). */
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

/** Runs `kubectl --kubeconfig <kubeconfig> ...args`; a non-zero exit is a result, not an error. */
export async function kubectl(args: readonly string[], options: KubectlOptions): Promise<KubectlResult> {
  const binary = options.binary ?? (await kubectlPath());
  const timeoutMs = options.timeoutMs ?? 60_000;
  const env = { ...process.env };
  delete env["KUBECONFIG"];
  // Discovery cache next to the kubeconfig: nothing lands in ~/.kube and it goes with the temp dir.
  env["KUBECACHEDIR"] = join(dirname(options.kubeconfig), ".kubectl-cache");
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["--kubeconfig", options.kubeconfig, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`kubectl ${args.join(" ")}: no exit within ${timeoutMs} ms; stderr so far: ${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(spawnFailure(binary, error));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.on("error", () => {}); // kubectl may exit before reading stdin; its exit code tells why.
    child.stdin.end(options.stdin ?? "");
  });
}
