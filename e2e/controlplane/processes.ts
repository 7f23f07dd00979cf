// Child processes that cannot outlive us: each runs under `setpriv --pdeathsig KILL` (the kernel
// kills it if we die, even by SIGKILL), and an exit hook kills whatever is still running and
// removes registered temp directories when Node exits normally or on an uncaught error.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync, fstatSync, rmSync } from "node:fs";
import { notFoundMessage } from "../prereqs/not-found.ts";
import { which } from "../prereqs/which.ts";

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Settles when the process has exited, however that happened. */
  readonly exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<ProcessExit>;
  /** The last lines of the process's combined stdout/stderr. */
  logTail(lines?: number): string;
}

export interface StartProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logPath: string;
  readonly env?: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous by necessity: nothing asynchronous runs in an "exit" listener.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes `dir` when this process exits, unless `forgetTempDir` is called first. */
export function removeOnExit(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
}

const setprivAvailable = spawnSync("setpriv", ["--pdeathsig", "KILL", "--", "true"]).status === 0;

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

export function startProcess({ name, command, args, logPath, env }: StartProcessOptions): ManagedProcess {
  installExitHook();
  // Under setpriv a missing command would only show as exit code 127 in the log.
  if (which(command, env ?? process.env) === undefined) throw new Error(`${name}: ${notFoundMessage(command)}`);
  const log = openSync(logPath, "a");
  const [file, argv] = setprivAvailable
    ? ["setpriv", ["--pdeathsig", "KILL", "--", command, ...args]]
    : [command, [...args]];
  let child: ChildProcess;
  try {
    child = spawn(file, argv, { stdio: ["ignore", log, log], env: env ?? process.env });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) {
    child.once("error", () => undefined); // the reason follows asynchronously; this error already says it
    throw new Error(`${name}: could not start ${command}`);
  }
  live.add(child);
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      exit = { code, signal };
      resolve(exit);
    });
  });

  async function stop(graceMs = 10_000): Promise<ProcessExit> {
    if (exit) return exit;
    await stopChild(child, graceMs);
    return exited;
  }

  return { name, pid, logPath, exited, hasExited: () => exit !== undefined, stop, logTail: (lines) => tailFile(logPath, lines) };
}

/** The last `lines` lines of a file (reads at most its last 64 KiB). */
export function tailFile(path: string, lines = 40): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "(no log)";
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } finally {
    closeSync(fd);
  }
}

export function describeExit({ code, signal }: ProcessExit): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}
