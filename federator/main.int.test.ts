import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startDnsmasq, type Dnsmasq } from "../e2e/support/dnsmasq.ts";
import { startFakeComponents, type FakeComponents } from "../e2e/support/fake-components.ts";
import type { IssuedCertificate } from "../lib/certs/issue.ts";
import type { FederatorConfigInput } from "../lib/api/federator-config.ts";
import { http1, json, kubeletWrite, waitUntil } from "./testing/backends.ts";
import { federatorCertificate, nginxEscape, testCa } from "./testing/pki.ts";
import { closedPort } from "./testing/world.ts";

const IP = "127.0.0.8";
const MAIN = join(import.meta.dirname, "main.ts");
let dir: string;
let components: FakeComponents;
let child: ChildProcess | undefined;
let output = "";
let dns: Dnsmasq;
let peer: IssuedCertificate;

function config(strategy: FederatorConfigInput["strategy"]): string {
  const document: FederatorConfigInput = {
    backendDomain: "cli.example",
    infraDomain: "federator.cli.example",
    strategy,
    remotes: [{ domain: "b.example" }, { domain: "peer.example" }],
    services: components.services,
    dns: { server: dns.address, allowPrivateTargets: true },
  };
  return stringify(document);
}

function start(args: string[]): ChildProcess {
  output = "";
  const started = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "info" } });
  started.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  started.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child = started;
  return started;
}

function exitOf(process: ChildProcess): Promise<number | null> {
  if (process.exitCode !== null) return Promise.resolve(process.exitCode);
  return new Promise((resolve) => process.once("exit", (code) => resolve(code)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "federator-cli-"));
  components = await startFakeComponents(IP);
  dns = await startDnsmasq({ records: { srv: [{ name: "_wire-server-federator._tcp.peer.example", target: "federator.peer.example", port: 443 }] }, localDomains: ["example"] });
  const ca = await testCa();
  const certificate = await federatorCertificate(ca, "federator.cli.example");
  peer = await federatorCertificate(ca, "federator.peer.example");
  kubeletWrite(join(dir, "config"), { "federator.yaml": config("AllowList") });
  kubeletWrite(join(dir, "tls"), { "tls.crt": certificate.chainPem, "tls.key": certificate.privateKeyPem });
  kubeletWrite(join(dir, "ca"), { "ca.crt": ca.certificatePem });
});
afterEach(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill("SIGKILL");
    await exitOf(child);
  }
  child = undefined;
});
afterAll(async () => {
  await components?.close();
  await dns?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("federator CLI (node federator/main.ts)", () => {
  it("serves with flag-given listeners, reloads its files, logs JSON without key material and stops on SIGTERM", async () => {
    const [internal, external] = [await closedPort(IP), await closedPort(IP)];
    const args = ["--config", join(dir, "config", "federator.yaml"), "--tls-dir", join(dir, "tls"), "--ca-dir", join(dir, "ca")];
    const federator = start([...args, "--internal", `${IP}:${internal}`, "--external", `${IP}:${external}`]);
    const base = `http://${IP}:${internal}`;
    await waitUntil(async () => (await http1(`${base}/i/status`, { method: "GET" }).catch(() => ({ status: 0 }))).status === 200, "the federator answers /i/status", 20_000);

    const denied = await http1(`${base}/rpc/c.example/brig/get-user`, { body: "{}" });
    expect(json(denied)["label"]).toBe("federation-denied");
    const externalStatus = await http1(`http://${IP}:${external}/i/status`, { method: "GET" });
    expect(externalStatus.status).toBe(404);

    kubeletWrite(join(dir, "config"), { "federator.yaml": config("AllowNone") });
    await waitUntil(async () => json(await http1(`${base}/rpc/b.example/brig/get-user`, { body: "{}" }))["label"] === "federation-denied", "AllowNone applies");
    const metrics = (await http1(`${base}/i/metrics`, { method: "GET" })).body.toString();
    expect(metrics).toContain('federator_config_reloads_total{result="success",source="files"} 1');
    expect(metrics).toContain("federator_process_resident_memory_bytes");

    federator.kill("SIGTERM");
    expect(await exitOf(federator)).toBe(0);
    const lines = output.trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).not.toContain("PRIVATE KEY");
    expect(lines.some((line) => line.includes('"reason":"federation-denied"'))).toBe(true);
  });

  it("lets a request in flight finish on SIGTERM, then exits", async () => {
    kubeletWrite(join(dir, "config"), { "federator.yaml": config("AllowList") });
    const [internal, external] = [await closedPort(IP), await closedPort(IP)];
    const args = ["--config", join(dir, "config", "federator.yaml"), "--tls-dir", join(dir, "tls"), "--ca-dir", join(dir, "ca")];
    const federator = start([...args, "--internal", `${IP}:${internal}`, "--external", `${IP}:${external}`]);
    await waitUntil(async () => (await http1(`http://${IP}:${internal}/i/status`, { method: "GET" }).catch(() => ({ status: 0 }))).status === 200, "the federator answers", 20_000);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const before = components.brig.requests.length;
    components.brig.respondWith(async () => {
      await released;
      return { status: 200, headers: { "content-type": "application/json" }, body: '{"slow":true}' };
    });
    const inFlight = http1(`http://${IP}:${external}/federation/brig/get-user`, {
      body: "{}",
      headers: { "wire-origin-domain": "peer.example", "ssl-client-cert": nginxEscape(peer.certificatePem) },
    });
    await components.brig.waitForRequests(before + 1);
    federator.kill("SIGTERM");
    await waitUntil(() => output.includes("shutting down"), "the federator starts shutting down");
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('{"slow":true}');
    expect(await exitOf(federator)).toBe(0);
  });

  it("refuses to start on an invalid configuration and says why", async () => {
    const bad = join(dir, "bad");
    kubeletWrite(bad, { "federator.yaml": "backendDomain: NOT A DOMAIN\n" });
    const federator = start(["--config", join(bad, "federator.yaml"), "--tls-dir", join(dir, "tls"), "--ca-dir", join(dir, "ca")]);
    expect(await exitOf(federator)).toBe(1);
    expect(output).toContain("backendDomain");
  });
});
