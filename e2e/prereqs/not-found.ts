// Turns a failed spawn into a message a person can act on: "nginx: not found at /usr/sbin/nginx
// (install it: …)" instead of Node's "spawn /usr/sbin/nginx ENOENT" or a result whose output is
// undefined.
import { aptInstallCommand, programFor } from "./programs.ts";

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** Whether `error` (from spawn's "error" event or spawnSync's `error`) means the program is missing. */
export function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "EACCES";
}

/** What to do about a missing `command`: our table's install hint, or a generic one. */
export function installHint(command: string): string {
  const program = programFor(command);
  if (!program) return `install ${command} or put it on PATH`;
  const apt = `${aptInstallCommand([program.debianPackage])} (as root)`;
  const override = program.env ? `, or set ${program.env} to its path` : "";
  return program.manual ? `${program.manual}${override}` : `install it: ${apt}${override}`;
}

/** The message for a `command` that does not exist. */
export function notFoundMessage(command: string): string {
  return `${command}: not found; ${installHint(command)}`;
}

/** The message for a spawn of `command` that failed with `error`. */
export function describeSpawnFailure(command: string, error: unknown): string {
  if (isNotFound(error)) {
    const how = errorCode(error) === "EACCES" ? "not executable" : "not found";
    return `${command}: ${how}; ${installHint(command)}`;
  }
  return `${command}: could not start: ${error instanceof Error ? error.message : String(error)}`;
}

/** An Error for a spawn that failed, with the original as its cause. */
export function spawnFailure(command: string, error: unknown): Error {
  return new Error(describeSpawnFailure(command, error), { cause: error });
}
