// Resolves a command the way spawn does (a path as is, a bare name through PATH), without running it.
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path a command resolves to (PATH lookup for a bare name), or undefined. */
export function which(command: string, env: Env = process.env): string | undefined {
  if (isAbsolute(command) || command.includes("/")) return executable(command) ? command : undefined;
  return (env["PATH"] ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, command)).find(executable);
}
