// Waiting for a started process to become ready, failing early (with its log tail) when it dies.
import { StopWaiting, waitFor } from "../support/wait-for.ts";
import { describeExit, type ManagedProcess } from "./processes.ts";

function failure(child: ManagedProcess, what: string): Error {
  return new Error(`${what}\n--- last lines of ${child.name}'s log (${child.logPath}) ---\n${child.logTail(40)}`);
}

/** Waits for `ready`, failing at once with the process's log tail if it exits first. */
export async function waitUntilReady(
  child: ManagedProcess,
  ready: () => Promise<boolean>,
  description: string,
  timeoutMs: number,
): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (child.hasExited()) throw new StopWaiting(`${child.name} ${describeExit(await child.exited)}`);
        return ready();
      },
      { description, timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw failure(child, error instanceof StopWaiting ? `gave up waiting for ${description}: ${message}` : message);
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}
