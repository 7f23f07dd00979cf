// The Go tools the tests run (helm, promtool), built from the Go module proxy by e2e/tools/build.sh
// and cached under ~/.cache/wire-federation/; a cached binary is found without building anything.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export type GoTool = "helm" | "promtool";

/** The binary's path, building it first if it is not cached (minutes, once). */
export function goTool(name: GoTool): string {
  const built = spawnSync("bash", [join(import.meta.dirname, "build.sh"), name], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const path = built.stdout.trim().split("\n").at(-1) ?? "";
  if (built.status !== 0 || !existsSync(path)) throw new Error(`e2e/tools/build.sh ${name} failed (exit ${built.status}); run it by hand to see why`);
  return path;
}
