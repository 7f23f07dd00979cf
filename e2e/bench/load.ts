// Runs e2e/bench/load-worker.ts (autocannon) in a child process and returns what it measured.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export interface LoadSpec {
  readonly url: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** HTTPS with a client certificate (the "direct" baseline to nginx). */
  readonly tls?: { readonly servername: string; readonly cert: string; readonly key: string };
}

export interface LoadResult {
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly elapsedMs: number;
  /** 2xx responses per second of the measurement. */
  readonly requestsPerSecond: number;
  /** Latency of every 2xx response, in arrival order. */
  readonly latenciesMs: readonly number[];
}

const WORKER = join(import.meta.dirname, "load-worker.ts");

/** Load workers still running; killed if the bench exits early (e.g. Ctrl-C). */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER], { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      running.delete(child);
      if (code !== 0) return reject(new Error(`load worker exited with ${code}: ${stderr.slice(-2000)}`));
      try {
        resolve(JSON.parse(stdout) as LoadResult);
      } catch (error) {
        reject(new Error(`load worker printed no result: ${String(error)} ${stderr.slice(-2000)}`));
      }
    });
    // Key material goes over stdin, never on a command line other users can read.
    child.stdin.end(JSON.stringify(spec));
  });
}

/** A JSON request body of exactly `bytes` bytes. */
export function jsonBody(bytes: number): string {
  const frame = '{"pad":""}';
  return `{"pad":"${"x".repeat(Math.max(0, bytes - frame.length))}"}`;
}
