// The Passthrough path of the bench: B's federator once more, from B's own federator.yaml,
// certificate and CA bundle, but terminating mutual TLS itself as spec.ingress.provider Passthrough
// deploys it (listen.externalTLS, no nginx, no ingress hop). A reaches it as the remote bp.example:
// an SRV record to federator.b.example at this federator's port, and a FederationPeer on A with B's
// published CA, so A's egress checks it exactly as it checks B.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import { stopChild } from "../controlplane/processes.ts";
import { freePorts } from "../controlplane/ports.ts";
import type { FederatorNode } from "../federation/backend.ts";
import { SRV_PREFIX, type Environment } from "../federation/environment.ts";
import { kubeletWrite } from "../../federator/testing/backends.ts";
import { waitFor } from "../support/wait-for.ts";

export const PASSTHROUGH_DOMAIN = "bp.example";

export interface PassthroughFederator {
  /** host:port of its internal listener (how the bench finds its process). */
  readonly internal: string;
  stop(): Promise<void>;
}

export async function startPassthroughFederator(env: Environment, node: FederatorNode, say: (message: string) => void): Promise<PassthroughFederator> {
  const { a, b } = env;
  const dir = mkdtempSync(join(tmpdir(), "bench-passthrough-"));
  const configYaml = ((await b.get("ConfigMap", "wire-federator"))?.["data"] as Record<string, string> | undefined)?.["federator.yaml"];
  const tls = decodedSecretData(await b.get("Secret", "wire-tls"));
  const ca = decodedSecretData(await b.get("Secret", "wire-ca-bundle"));
  if (configYaml === undefined || tls === undefined || ca === undefined) throw new Error("B's federator config, certificate or CA bundle is missing");
  const config = parse(configYaml) as { listen: Record<string, unknown> };
  config.listen = { ...config.listen, externalTLS: true, ingressHop: null };
  kubeletWrite(join(dir, "config"), { "federator.yaml": stringify(config) });
  kubeletWrite(join(dir, "tls"), { "tls.crt": tls["tls.crt"] ?? "", "tls.key": tls["tls.key"] ?? "" });
  kubeletWrite(join(dir, "ca"), { "ca.crt": ca["ca.crt"] ?? "" });
  const [internalPort, externalPort] = (await freePorts(2, b.address)) as [number, number];
  const internal = `${b.address}:${internalPort}`;
  const args = [...node.flags, node.script, "--config", join(dir, "config", "federator.yaml"), "--tls-dir", join(dir, "tls"), "--ca-dir", join(dir, "ca"), "--internal", internal, "--external", `${b.address}:${externalPort}`, "--shutdown-grace-ms", "500"];
  const child = spawn(process.execPath, args, { cwd: join(import.meta.dirname, "..", ".."), stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...node.env } });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stop = async () => {
    await stopChild(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`http://${internal}/i/status`).catch(() => undefined))?.status === 200, { description: "the Passthrough federator serving /i/status", timeoutMs: 20_000 });
    say(`Passthrough path: B's federator terminating mutual TLS on ${b.address}:${externalPort}, reached by A as ${PASSTHROUGH_DOMAIN}`);
    const records = env.dns.records();
    await env.dns.setRecords({ ...records, srv: [...(records.srv ?? []), { name: `${SRV_PREFIX}.${PASSTHROUGH_DOMAIN}`, target: b.infraDomain, port: externalPort }] });
    await a.apply(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bp-ca" }, data: { "ca.crt": await b.publishedCA() } },
      { apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name: "bp" }, spec: { domain: PASSTHROUGH_DOMAIN, caBundle: { configMapRef: { name: "bp-ca" } } } },
    );
    await waitFor(async () => (await fetch(`${a.federatorUrl}/rpc/${PASSTHROUGH_DOMAIN}/brig/get-user`, { method: "POST", body: "{}" })).status === 200, { description: `A→${PASSTHROUGH_DOMAIN} (Passthrough)`, timeoutMs: 30_000 });
    return { internal, stop };
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${stderr}`);
  }
}
