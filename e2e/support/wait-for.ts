// Waiting on a condition with a deadline: the only way tests synchronize with real processes.
import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

export interface WaitForOptions {
  /** What is awaited, in words; the timeout error starts with it. */
  readonly description: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/** Thrown by a condition to end the wait at once (e.g. the process it waits on has died). */
export class StopWaiting extends Error {
  override name = "StopWaiting";
}

export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return inspect(value, { depth: 3, breakLength: Infinity }).slice(0, 1000);
}

/**
 * Calls `condition` until it returns a truthy value (which is returned) or the deadline passes.
 * A throwing condition counts as "not yet"; at the deadline the error names the description and
 * the last error or value seen.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { description, timeoutMs = 10_000, intervalMs = 100 }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: { error: unknown } | { value: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
      last = { value };
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      last = { error };
    }
    if (Date.now() >= deadline) {
      const seen = "error" in last ? `last error: ${describe(last.error)}` : `last value: ${describe(last.value)}`;
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${description} (${seen})`, {
        cause: "error" in last ? last.error : undefined,
      });
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
