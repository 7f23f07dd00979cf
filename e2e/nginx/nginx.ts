// Debian's nginx as a managed process for tests: start with a rendered config, reload it
// (SIGHUP, as ingress-nginx does on a change), stop. All state lives in one temp directory.
import { spawn, spawnSync as nodeSpawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnFailure } from "../prereqs/not-found.ts";
import { waitFor } from "../support/wait-for.ts";
import { mainConfig, renderIngress, type RenderInput } from "./render.ts";

export const NGINX_BINARY = process.env["NGINX_BINARY"] ?? "/usr/sbin/nginx";

export interface NginxProcess {
  readonly prefix: string;
  /** Re-renders from a (new) Ingress and reloads nginx without dropping connections. */
  reload(input: Omit<RenderInput, "dir">): Promise<void>;
  errorLog(): string;
  stop(): Promise<void>;
}

function write(prefix: string, input: Omit<RenderInput, "dir">): void {
  const rendered = renderIngress({ ...input, dir: prefix });
  for (const [path, content] of rendered.files) writeFileSync(path, content, { mode: 0o600 });
  writeFileSync(join(prefix, "nginx.conf"), mainConfig(prefix, [rendered.server], process.getuid?.() === 0));
}

function check(prefix: string): void {
  const test = spawnSync(prefix, ["-t"]);
  if (test.status !== 0) throw new Error(`nginx -t refused the rendered config:\n${test.output}`);
}

function spawnSync(prefix: string, extra: string[]) {
  const result = nodeSpawnSync(NGINX_BINARY, ["-p", prefix, "-c", join(prefix, "nginx.conf"), ...extra], { encoding: "utf8" });
  if (result.error) throw spawnFailure(NGINX_BINARY, result.error);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export async function startNginx(input: Omit<RenderInput, "dir">): Promise<NginxProcess> {
  const prefix = mkdtempSync(join(tmpdir(), "e2e-nginx-"));
  for (const dir of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"]) mkdirSync(join(prefix, dir));
  write(prefix, input);
  check(prefix);
  const child: ChildProcess = spawn(NGINX_BINARY, ["-p", prefix, "-c", join(prefix, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  child.once("error", (error) => (stderr += spawnFailure(NGINX_BINARY, error).message));
  const errorLog = () => {
    try {
      return readFileSync(join(prefix, "error.log"), "utf8");
    } catch {
      return "";
    }
  };
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}${errorLog()}`);
      return /start worker process/.test(errorLog());
    },
    { description: `nginx listening on ${input.listen}`, timeoutMs: 10_000, intervalMs: 20 },
  );
  let stopped = false;
  return {
    prefix,
    errorLog,
    async reload(next) {
      if (stopped) return;
      const before = (errorLog().match(/start worker process/g) ?? []).length;
      write(prefix, next);
      check(prefix);
      child.kill("SIGHUP");
      await waitFor(() => (errorLog().match(/start worker process/g) ?? []).length > before, { description: "nginx reloaded", timeoutMs: 10_000, intervalMs: 20 });
    },
    async stop() {
      stopped = true;
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGQUIT");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
