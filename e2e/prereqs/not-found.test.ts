// Programs that are not there, spawned for real: each failure names the program and how to get it,
// instead of "spawn … ENOENT" or "undefinedundefined".
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startProcess } from "../controlplane/processes.ts";
import { kubectl } from "../support/kubectl.ts";
import { ensurePrerequisites, PrerequisiteError } from "./ensure.ts";
import { describeSpawnFailure } from "./not-found.ts";

const dir = mkdtempSync(join(tmpdir(), "prereqs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a program that is not installed", () => {
  it("nginx run synchronously (nginx -t) is reported as not found, with the package to install", () => {
    const result = spawnSync("/nonexistent/sbin/nginx", ["-t"], { encoding: "utf8" });
    expect(describeSpawnFailure("/nonexistent/sbin/nginx", result.error)).toBe(
      "/nonexistent/sbin/nginx: not found; install it: apt-get update && apt-get install -y --no-install-recommends nginx (as root), or set NGINX_BINARY to its path",
    );
  });

  it("dnsmasq started in the background fails at once as not found", async () => {
    vi.stubEnv("DNSMASQ", "/nonexistent/sbin/dnsmasq");
    vi.resetModules();
    const { startDnsmasq } = await import("../support/dnsmasq.ts");
    await expect(startDnsmasq({ records: {}, startTimeoutMs: 60_000 })).rejects.toThrow(/^\/nonexistent\/sbin\/dnsmasq: not found; install it: .*dnsmasq-base/);
    vi.unstubAllEnvs();
  });

  it("kubectl is reported as not found", async () => {
    await expect(kubectl(["version"], { kubeconfig: join(dir, "kubeconfig"), binary: "/nonexistent/kubectl" })).rejects.toThrow("/nonexistent/kubectl: not found");
  });

  it("a control-plane binary is reported as not found before it is started under setpriv", () => {
    expect(() => startProcess({ name: "etcd", command: "/nonexistent/etcd", args: [], logPath: join(dir, "etcd.log") })).toThrow("etcd: /nonexistent/etcd: not found");
  });
});

describe("the prerequisite check", () => {
  it("stops within seconds with the exact commands when openssl is missing and nothing may be installed", async () => {
    const started = performance.now();
    const check = ensurePrerequisites({ task: "npm test", install: false, log: () => undefined, buildNeeded: true, cacheDir: dir, env: { PATH: "/nonexistent" } });
    const error: unknown = await check.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrerequisiteError);
    const message = (error as Error).message;
    expect(message).toContain("  - openssl: not found at openssl");
    expect(message).toContain("  - go: not found at go");
    expect(message).toContain("apt-get update && apt-get install -y --no-install-recommends openssl bash");
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
