// Every metric the dashboard and the alerts query is exported: read from the live /metrics of a
// real operator (against the shared control plane) and of a real federator (Files mode).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import type { FederatorConfigInput } from "../lib/api/federator-config.ts";
import { freePorts } from "../e2e/controlplane/ports.ts";
import { createTestNamespace, type TestNamespace } from "../e2e/support/namespace.ts";
import { waitFor } from "../e2e/support/wait-for.ts";
import { kubeletWrite } from "../federator/testing/backends.ts";
import { federatorCertificate, testCa } from "../federator/testing/pki.ts";
import { ALERTS } from "./alerts.ts";
import { dashboardExpressions } from "./dashboard.ts";
import { metricNames } from "./metric-names.ts";

const ROOT = join(import.meta.dirname, "..");
const children: ChildProcess[] = [];
let dir = "";
let ns: TestNamespace;

function start(main: string, args: string[]): void {
  const child = spawn(process.execPath, [join(ROOT, main), ...args], { stdio: ["ignore", "ignore", "ignore"] });
  children.push(child);
}

/** The metric families a /metrics page declares (`# TYPE name kind`). */
async function families(url: string): Promise<Set<string>> {
  const text = await waitFor(async () => {
    try {
      const response = await fetch(url);
      return response.ok ? response.text() : undefined;
    } catch {
      return undefined;
    }
  }, { description: `${url} answers`, timeoutMs: 60_000, intervalMs: 200 });
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

let operatorUrl = "";
let federatorUrl = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "monitoring-"));
  ns = await createTestNamespace(inject("kubeconfig"), "monitoring");
  const [operatorPort, internal, external] = (await freePorts(3)) as [number, number, number];
  start("operator/main.ts", ["--kubeconfig", inject("kubeconfig"), "--namespaces", ns.name, "--leader-elect=false", "--listen", `127.0.0.1:${operatorPort}`]);
  operatorUrl = `http://127.0.0.1:${operatorPort}/metrics`;

  const ca = await testCa();
  const certificate = await federatorCertificate(ca, "federator.a.example");
  const config: FederatorConfigInput = {
    backendDomain: "a.example",
    infraDomain: "federator.a.example",
    strategy: "AllowList",
    remotes: [{ domain: "b.example" }],
    services: { brig: "http://127.0.0.1:1", galley: "http://127.0.0.1:1", cargohold: "http://127.0.0.1:1" },
  };
  kubeletWrite(join(dir, "config"), { "federator.yaml": stringify(config) });
  kubeletWrite(join(dir, "tls"), { "tls.crt": certificate.chainPem, "tls.key": certificate.privateKeyPem });
  kubeletWrite(join(dir, "ca"), { "ca.crt": ca.certificatePem });
  const files = ["--config", join(dir, "config", "federator.yaml"), "--tls-dir", join(dir, "tls"), "--ca-dir", join(dir, "ca")];
  start("federator/main.ts", [...files, "--internal", `127.0.0.1:${internal}`, "--external", `127.0.0.1:${external}`]);
  federatorUrl = `http://127.0.0.1:${internal}/i/metrics`;
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await ns?.delete();
  rmSync(dir, { recursive: true, force: true });
});

describe("monitoring", () => {
  it("queries only metrics that the operator or the federator export", async () => {
    const exported = new Set([...(await families(operatorUrl)), ...(await families(federatorUrl))]);
    const used = new Set([...ALERTS.map((a) => a.expr), ...dashboardExpressions()].flatMap(metricNames));
    expect(used.size).toBeGreaterThanOrEqual(15);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
