// The operator as a process of its own (operator/main.ts), so its memory can be read from /proc
// and its metrics from /metrics.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { OPERATOR_COMMAND } from "../../cdk8s/operator-install.ts";
import { stopChild } from "../controlplane/processes.ts";
import { waitFor } from "../support/wait-for.ts";
import { counterSum } from "./federator-path.ts";

const REPO = join(import.meta.dirname, "..", "..");

/** Operator processes still running; killed if the bench exits early (e.g. Ctrl-C). */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface OperatorProcess {
  readonly pid: number;
  /** Sum of a metric's samples (counters and gauges), optionally only those whose labels contain `labels`. */
  metric(name: string, labels?: string): Promise<number>;
  /** VmRSS and VmHWM (peak) in MiB. */
  memory(): { rssMiB: number; peakMiB: number };
  output(): string;
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** A field of /proc/<pid>/status in kB, as MiB. */
export function statusMiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (match === null) throw new Error(`/proc status has no ${field}`);
  return Number(match[1]) / 1024;
}

/**
 * How the operator runs: `image` as its image does (the compiled JavaScript of npm run build, with
 * the image's Node flags), `sources` as `npm run operator` does (TypeScript, type stripping).
 */
export type OperatorForm = "image" | "sources";

/** Compiles the sources into dist/js (npm run build), for the image form. */
export function buildCompiled(): void {
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: REPO, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm run build failed: ${result.stdout}${result.stderr}`);
}

function entry(form: OperatorForm): string[] {
  if (form === "sources") return ["operator/main.ts"];
  const [, ...flags] = OPERATOR_COMMAND;
  return flags.map((part) => (part === "operator/main.js" ? "dist/js/operator/main.js" : part));
}

export async function launchOperator(kubeconfig: string, namespace: string, form: OperatorForm = "image"): Promise<OperatorProcess> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...entry(form), "--kubeconfig", kubeconfig, "--namespaces", namespace, "--leader-elect=false", "--listen", `127.0.0.1:${port}`],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const pid = child.pid;
  if (pid === undefined) throw new Error("the operator did not start");
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const stop = () => stopChild(child, 5000);
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`operator exited: ${output.slice(-2000)}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      },
      { description: "the operator's /readyz", timeoutMs: 60_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid,
    metric: async (name, labels) => counterSum(await metrics(), name, labels),
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return { rssMiB: statusMiB(status, "VmRSS"), peakMiB: statusMiB(status, "VmHWM") };
    },
    output: () => output,
    stop,
  };
}

/** RSS of a Node process that does nothing: the floor under any Node program's figure. */
export async function bareNodeMiB(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  running.add(child);
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error("node did not start");
    await waitFor(() => readFileSync(`/proc/${pid}/status`, "utf8").includes("VmRSS"), { description: "a bare node process", timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // its start-up done, as the operator's is when measured
    return statusMiB(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");
  } finally {
    await stopChild(child, 2000);
    running.delete(child);
  }
}
