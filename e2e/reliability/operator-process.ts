// The operator as the process a Deployment runs (`node operator/main.ts`), started for reliability
// scenarios: its output is kept for assertions and the key-material scan, and every process started
// here is killed by `stopOperatorProcesses()` (call it in afterEach/afterAll).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const MAIN = join(import.meta.dirname, "..", "..", "operator", "main.ts");

export interface OperatorProcessOptions {
  readonly kubeconfig: string;
  readonly namespace: string;
  /** Namespaces to watch; default: `namespace` alone (which also holds the Lease). */
  readonly namespaces?: readonly string[];
  readonly identity: string;
  /** Lease duration; omitted means the operator runs without leader election. */
  readonly leaseSeconds?: number;
}

export type LogLine = Readonly<Record<string, unknown>>;

export interface OperatorProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** The JSON log lines so far. */
  lines(): LogLine[];
  /** Log lines whose `msg` is `message`. */
  logged(message: string): LogLine[];
  exited(): boolean;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const started: OperatorProcess[] = [];

function parseLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // The last line may still be incomplete.
    }
  }
  return lines;
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

export function startOperatorProcess(options: OperatorProcessOptions): OperatorProcess {
  const election = options.leaseSeconds === undefined ? ["--leader-elect=false"] : ["--leader-election-namespace", options.namespace, "--lease-seconds", String(options.leaseSeconds)];
  const args = [MAIN, "--kubeconfig", options.kubeconfig, "--namespaces", (options.namespaces ?? [options.namespace]).join(","), "--listen", "127.0.0.1:0", "--identity", options.identity, ...election];
  // Debug level: the key-material scan should see everything the operator can log.
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "debug" } });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const operator: OperatorProcess = {
    identity: options.identity,
    child,
    output: () => output,
    lines: () => parseLines(output),
    logged: (message) => parseLines(output).filter((line) => line["msg"] === message),
    exited: () => child.exitCode !== null || child.signalCode !== null,
    kill: (signal) => killChild(child, signal),
  };
  started.push(operator);
  return operator;
}

/** Kills (SIGKILL) every operator process started so far that still runs. */
export async function stopOperatorProcesses(): Promise<void> {
  await Promise.all(started.splice(0).map((operator) => operator.kill("SIGKILL")));
}
