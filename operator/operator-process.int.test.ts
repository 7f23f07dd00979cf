// The operator as the process a Deployment runs: leader election between replicas, hand-over
// when the leader dies, recovery after kill -9 in the middle of a reconcile.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { FederatorConfig } from "../lib/api/federator-config.ts";
import { createCertificateAuthority } from "../lib/certs/issue.ts";
import { kubectl } from "../e2e/support/kubectl.ts";
import { waitFor } from "../e2e/support/wait-for.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { RESOURCES, resourcePath } from "./kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../lib/kube/rest.ts";

const kubeconfig = inject("kubeconfig");
const MAIN = join(import.meta.dirname, "main.ts");
let admin: RestClient;
let caPem: string;

interface OperatorProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly lines: () => Record<string, unknown>[];
  readonly text: () => string;
}
const processes: OperatorProcess[] = [];

beforeAll(async () => {
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  caPem = (await createCertificateAuthority({ commonName: "Peer CA", validityDays: 365 })).certificatePem;
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => stopProcess(p.child, "SIGKILL")));
});

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

function startOperatorProcess(ns: string, identity: string): OperatorProcess {
  const args = [MAIN, "--kubeconfig", kubeconfig, "--namespaces", ns, "--leader-election-namespace", ns, "--lease-seconds", "2", "--listen", "127.0.0.1:0", "--identity", identity];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "debug" } });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const lines = () =>
    output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const started = { identity, child, lines, text: () => output };
  processes.push(started);
  return started;
}

async function namespace(): Promise<string> {
  const name = `leader-${randomBytes(4).toString("hex")}`;
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
  return name;
}

const fc = { apiVersion: "federation.wire.com/v1alpha1", kind: "FederationConfig", metadata: { name: "wire" }, spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} } } };
const fp = (i: number) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name: `p${i}` }, spec: { domain: `p${i}.example`, caBundle: { pem: caPem } } });
const apply = async (ns: string, objects: object[]) => {
  const result = await kubectl(["apply", "-n", ns, "-f", "-"], { kubeconfig, stdin: objects.map((o) => stringify(o)).join("---\n"), timeoutMs: 120_000 });
  expect(result.code, result.stderr).toBe(0);
};
const remotes = async (ns: string): Promise<number> => {
  try {
    const cm = (await admin.request("GET", resourcePath(RESOURCES.ConfigMap, ns, "wire-federator"))).body as KubeObject;
    return FederatorConfig.parse(parse(((cm["data"] ?? {}) as Record<string, string>)["federator.yaml"] ?? "")).remotes.length;
  } catch {
    return -1;
  }
};
const leaseHolder = async (ns: string) => {
  const lease = (await admin.request("GET", resourcePath(RESOURCES.Lease, ns, "wire-federation-operator"))).body as { spec: { holderIdentity?: string } };
  return lease.spec.holderIdentity;
};
const becameLeader = (p: OperatorProcess) => p.lines().some((l) => l["msg"] === "became leader");
const applied = (p: OperatorProcess) => p.lines().filter((l) => l["msg"] === "applied").length;

describe("operator processes", () => {
  it("elect exactly one leader, which alone reconciles, and hand over when it is killed", async () => {
    const ns = await namespace();
    const one = startOperatorProcess(ns, "operator-one");
    const two = startOperatorProcess(ns, "operator-two");
    const leader = await waitFor(() => [one, two].find(becameLeader), { description: "a leader", timeoutMs: 30_000 });
    const standby = leader === one ? two : one;
    expect(await leaseHolder(ns)).toBe(leader.identity);

    await apply(ns, [fc, fp(1)]);
    await waitFor(async () => (await remotes(ns)) === 1, { description: "the leader reconciles", timeoutMs: 30_000 });
    // The leader's log lines can arrive a moment after the API server shows its writes.
    await waitFor(() => applied(leader) > 0, { description: "the leader logs its applies", timeoutMs: 5_000 });
    expect(applied(standby)).toBe(0);
    expect(becameLeader(standby)).toBe(false);

    await stopProcess(leader.child, "SIGKILL");
    await apply(ns, [fp(2)]);
    await waitFor(async () => (await remotes(ns)) === 2, { description: "the standby takes over and reconciles", timeoutMs: 30_000 });
    expect(becameLeader(standby)).toBe(true);
    expect(await leaseHolder(ns)).toBe(standby.identity);
  });

  it("converges after being killed with -9 in the middle of a reconcile", async () => {
    const ns = await namespace();
    const first = startOperatorProcess(ns, "operator-first");
    await waitFor(() => becameLeader(first), { description: "first operator leads", timeoutMs: 30_000 });
    await apply(ns, [fc, ...Array.from({ length: 150 }, (_, i) => fp(i))]);
    await waitFor(() => applied(first) > 0, { description: "first operator starts applying", timeoutMs: 30_000 });
    await stopProcess(first.child, "SIGKILL");

    const second = startOperatorProcess(ns, "operator-second");
    await waitFor(async () => (await remotes(ns)) === 150, { description: "all 150 peers in federator.yaml after restart", timeoutMs: 60_000 });
    await waitFor(async () => {
      const list = (await admin.request("GET", resourcePath(RESOURCES.FederationPeer, ns))).body as { items: KubeObject[] };
      return list.items.every((p) => ((p["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === "Accepted" && c.status === "True"));
    }, { description: "all 150 peers Accepted", timeoutMs: 60_000 });
    expect(second.text()).not.toMatch(/PRIVATE KEY/);
  });

  it("shuts down cleanly on SIGTERM and releases the lease", async () => {
    const ns = await namespace();
    const one = startOperatorProcess(ns, "operator-graceful");
    await waitFor(() => becameLeader(one), { description: "leader", timeoutMs: 30_000 });
    const exited = new Promise<number | null>((resolve) => one.child.once("exit", (code) => resolve(code)));
    one.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await leaseHolder(ns)).toBe("");
  });
});
