// Operator figures on a control plane of its own: how long 1000 FederationPeers applied at once
// take to reach the CA bundle Secret and the federator ConfigMap, against the time the API server
// takes just to create the same 1000 objects in a namespace no operator watches; the writes to
// output objects that took (from the audit log); the writes of a no-op resync (a restarted
// operator reconciling 1000 unchanged peers); and the operator's RSS at 1k and 10k peers.
import { createCertificateAuthority } from "../../lib/certs/issue.ts";
import { createLogger } from "../../lib/log.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { RESOURCES, resourcePath } from "../../operator/kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.ts";
import { auditBarrier, readAuditEvents, matchWrites } from "../support/audit.ts";
import { waitFor } from "../support/wait-for.ts";
import { bareNodeMiB, buildCompiled, launchOperator, type OperatorProcess } from "./operator-process.ts";

export interface OperatorSettings {
  readonly peers: number;
  readonly largePeers: number;
  /** Distinct peer CAs; peers beyond this share them (as peers sharing a public CA do). */
  readonly distinctCAs: number;
  readonly repeats: number;
  readonly concurrency: number;
}

export const DEFAULT_OPERATOR_SETTINGS: OperatorSettings = { peers: 1000, largePeers: 10_000, distinctCAs: 1000, repeats: 3, concurrency: 16 };

export interface ConvergeRun {
  readonly repeat: number;
  readonly bareCreateMs: number;
  readonly createMs: number;
  readonly convergeMs: number;
  readonly outputWrites: number;
  readonly outputWritesByResource: Record<string, number>;
  readonly statusWrites: number;
  /** Reconciles the operator ran from the first create until it settled, and their total duration. */
  readonly reconciles: number;
  readonly reconcileSeconds: number;
  /** [ms after the first create, CAs in the bundle, remotes in federator.yaml] at each output change. */
  readonly steps: [number, number, number][];
}

export interface Memory {
  readonly rssMiB: number;
  readonly peakMiB: number;
  /** V8 heap in use (nodejs_heap_size_used_bytes of the operator's /metrics). */
  readonly heapUsedMiB: number;
}

async function memoryOf(operator: OperatorProcess): Promise<Memory> {
  return { ...operator.memory(), heapUsedMiB: (await operator.metric("nodejs_heap_size_used_bytes")) / 2 ** 20 };
}

export interface OperatorResult {
  readonly peers: number;
  readonly runs: ConvergeRun[];
  /** The running operator reconciling 1000 unchanged peers again (its periodic resync). */
  readonly noop: ResyncWrites;
  /** A restarted operator's first reconcile of 1000 unchanged peers. */
  readonly restart: ResyncWrites;
  /** The operator after its first reconcile with no peer: the baseline of the RSS figures. */
  readonly rss0: Memory;
  /** Idle, run from the TypeScript sources (npm run operator) instead of as the image runs it. */
  readonly rss0Sources: Memory;
  /** A Node process that does nothing. */
  readonly bareNodeMiB: number;
  readonly rss1k: Memory;
  /** The operator's log (JSON lines) of the processes that ran, for a look at the timeline. */
  readonly logs: string;
  readonly large: { peers: number; createMs: number; converged: boolean; waitedMs: number; rssMiB: number; maxRssMiB: number; peakMiB: number; heapUsedMiB: number; problem?: string };
}

const NAMESPACE = "wire";
const OUTPUT_RESOURCES = new Set(["secrets", "configmaps", "services", "serviceaccounts", "deployments", "ingresses", "networkpolicies", "roles", "rolebindings"]);
const OPERATOR_AGENT = /^wire-federation-operator/;

const federationConfig = {
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire", namespace: NAMESPACE },
  spec: {
    backendDomain: "bench.example",
    infraDomain: "federator.bench.example",
    strategy: "AllowList",
    certificate: { selfSigned: { duration: "2160h" } },
    federator: { replicas: 1, services: { brig: "http://brig:8080", galley: "http://galley:8080", cargohold: "http://cargohold:8080" }, reload: "Watch" },
  },
};

const peerObject = (i: number, pem: string) => ({
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationPeer",
  metadata: { name: `peer-${i}` },
  spec: { domain: `peer-${i}.example.org`, searchPolicy: "full_search", caBundle: { pem } },
});

/** POSTs peers first..last-1 with bounded concurrency; resolves with the wall time. */
async function createPeers(client: RestClient, namespace: string, first: number, last: number, cas: readonly string[], concurrency: number): Promise<number> {
  const path = resourcePath(RESOURCES.FederationPeer, namespace);
  let next = first;
  const started = performance.now();
  const worker = async () => {
    while (next < last) {
      const i = next++;
      await client.request("POST", path, { body: peerObject(i, cas[i % cas.length] as string) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - started;
}

async function deletePeers(client: RestClient, namespace: string): Promise<void> {
  await client.request("DELETE", resourcePath(RESOURCES.FederationPeer, namespace));
}

/** What the operator's outputs currently reflect: CAs in the bundle, remotes in federator.yaml. */
interface Reflected {
  cas: number;
  remotes: number;
  at: number;
  /** Every change seen, to show how the outputs approached the final state. */
  readonly history: { at: number; cas: number; remotes: number }[];
}

function watchOutputs(client: RestClient): { reflected: Reflected; stop(): void; ready: Promise<void> } {
  const reflected: Reflected = { cas: -1, remotes: -1, at: 0, history: [] };
  const log = createLogger({ name: "bench-outputs", level: "warn" });
  const onChange = (kind: "Secret" | "ConfigMap") => (name: string, object: KubeObject | undefined) => {
    const data = (object?.["data"] ?? {}) as Record<string, string>;
    if (kind === "Secret" && name === "wire-ca-bundle") {
      const pem = Buffer.from(data["ca.crt"] ?? "", "base64").toString("utf8");
      // The deny-all placeholder is a certificate too, but carries no "# subject" line.
      reflected.cas = (pem.match(/^# /gm) ?? []).length;
      reflected.at = performance.now();
    }
    if (kind === "ConfigMap" && name === "wire-federator") {
      reflected.remotes = ((data["federator.yaml"] ?? "").match(/^ {2}- {?domain: /gm) ?? []).length;
      reflected.at = performance.now();
    }
    reflected.history.push({ at: reflected.at, cas: reflected.cas, remotes: reflected.remotes });
    if (reflected.history.length > 1000) reflected.history.splice(0, 500);
  };
  const informers = (["Secret", "ConfigMap"] as const).map(
    (kind) => new Informer(client, { resource: RESOURCES[kind], namespace: NAMESPACE, labelSelector: "federation.wire.com/config=wire", onChange: onChange(kind), log }),
  );
  for (const i of informers) i.start();
  return { reflected, stop: () => informers.forEach((i) => i.stop()), ready: Promise.all(informers.map((i) => i.waitForSync())).then(() => undefined) };
}

async function configAccepted(client: RestClient): Promise<number> {
  const config = (await client.request("GET", resourcePath(RESOURCES.FederationConfig, NAMESPACE, "wire"))).body as { status?: { peers?: { accepted?: number } } };
  return config.status?.peers?.accepted ?? -1;
}

/** Writes by the operator since `since`, split into output objects and status subresources. */
async function operatorWrites(cp: ControlPlane, since: Date): Promise<{ output: number; byResource: Record<string, number>; status: number; all: number; list: string[] }> {
  await auditBarrier(cp.kubeconfigPath, cp.auditLogPath ?? "");
  const writes = matchWrites(await readAuditEvents(cp.auditLogPath ?? ""), { namespace: NAMESPACE, userAgent: OPERATOR_AGENT, since });
  const byResource: Record<string, number> = {};
  let output = 0;
  let status = 0;
  for (const event of writes) {
    const resource = event.objectRef?.resource ?? "?";
    if (event.objectRef?.subresource === "status") status++;
    else if (OUTPUT_RESOURCES.has(resource)) {
      output++;
      byResource[resource] = (byResource[resource] ?? 0) + 1;
    }
  }
  const list = writes.map((e) => `${e.verb} ${e.objectRef?.resource ?? "?"}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}/${e.objectRef?.name ?? ""}`);
  return { output, byResource, status, all: writes.length, list };
}

/** Waits until the operator has written every peer's status (the config's comes last) and then stays quiet. */
async function operatorSettled(client: RestClient, operator: OperatorProcess, peers: number): Promise<void> {
  await waitFor(async () => (await configAccepted(client)) === peers, { description: `the operator to report ${peers} accepted peers`, timeoutMs: 180_000, intervalMs: 250 });
  await quiet(operator);
}

async function convergeOnce(cp: ControlPlane, client: RestClient, operator: OperatorProcess, outputs: ReturnType<typeof watchOutputs>, cas: readonly string[], settings: OperatorSettings, repeat: number): Promise<ConvergeRun> {
  const bare = `bare-${repeat}`;
  await client.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: bare } } });
  const bareCreateMs = await createPeers(client, bare, 0, settings.peers, cas, settings.concurrency);
  await deletePeers(client, bare);

  const reconcilesBefore = await reconcileTotals(operator);
  const since = new Date();
  const started = performance.now();
  const creating = createPeers(client, NAMESPACE, 0, settings.peers, cas, settings.concurrency);
  const want = Math.min(settings.peers, cas.length);
  await waitFor(() => outputs.reflected.cas === want && outputs.reflected.remotes === settings.peers, {
    description: `the CA bundle and federator.yaml to reflect ${settings.peers} peers`,
    timeoutMs: 180_000,
    intervalMs: 5,
  });
  const convergeMs = outputs.reflected.at - started;
  const steps = outputs.reflected.history.filter((h) => h.at >= started).map((h): [number, number, number] => [Math.round(h.at - started), h.cas, h.remotes]);
  const createMs = await creating;
  await operatorSettled(client, operator, settings.peers);
  const writes = await operatorWrites(cp, since);
  const reconcilesAfter = await reconcileTotals(operator);
  return {
    repeat,
    bareCreateMs,
    createMs,
    convergeMs,
    outputWrites: writes.output,
    outputWritesByResource: writes.byResource,
    statusWrites: writes.status,
    reconciles: reconcilesAfter.count - reconcilesBefore.count,
    reconcileSeconds: reconcilesAfter.seconds - reconcilesBefore.seconds,
    steps,
  };
}

async function reconcileTotals(operator: OperatorProcess): Promise<{ count: number; seconds: number }> {
  return { count: await operator.metric("federation_operator_reconcile_duration_seconds_count"), seconds: await operator.metric("federation_operator_reconcile_duration_seconds_sum") };
}

async function removeAll(client: RestClient, outputs: ReturnType<typeof watchOutputs>): Promise<void> {
  await deletePeers(client, NAMESPACE);
  await waitFor(async () => outputs.reflected.remotes === 0 && outputs.reflected.cas === 0 && (await configAccepted(client)) === 0, {
    description: "the operator to drop every peer",
    timeoutMs: 120_000,
    intervalMs: 100,
  });
}

export interface ResyncWrites {
  readonly writes: number;
  readonly reconciles: number;
  /** "verb resource/name" of each write. */
  readonly list: string[];
}

/** How long the reconcile counter must stay still before the operator counts as done. */
const QUIET_MS = 1500;

/**
 * Waits until the reconcile counter stood still for QUIET_MS: the metrics do not say which key ran,
 * and the cheap orphan-peer key can run twice before the config's reconcile ends.
 */
async function quiet(operator: OperatorProcess): Promise<void> {
  const reconciles = () => operator.metric("federation_operator_reconciles_total");
  let last = await reconciles();
  let stillSince = performance.now();
  await waitFor(
    async () => {
      const now = await reconciles();
      if (now !== last) [last, stillSince] = [now, performance.now()];
      return performance.now() - stillSince >= QUIET_MS;
    },
    { description: "the operator to finish reconciling", timeoutMs: 120_000, intervalMs: 100 },
  );
}

/** Waits for `count` more reconciles and a quiet spell; returns the operator's writes since `since`. */
async function writesAfterReconciles(cp: ControlPlane, operator: OperatorProcess, since: Date, before: number, count: number): Promise<ResyncWrites> {
  const reconciles = () => operator.metric("federation_operator_reconciles_total");
  await waitFor(async () => (await reconciles()) >= before + count, { description: `${count} reconciles of unchanged peers`, timeoutMs: 120_000, intervalMs: 100 });
  await quiet(operator);
  const writes = await operatorWrites(cp, since);
  return { writes: writes.all, reconciles: (await reconciles()) - before, list: writes.list };
}

/**
 * The running operator reconciles its config and the namespace's orphan peers again with nothing
 * changed, as its periodic resync does: queued by an annotation on the FederationConfig (a metadata
 * change: no new generation, no spec change).
 */
async function inProcessResync(cp: ControlPlane, client: RestClient, operator: OperatorProcess): Promise<ResyncWrites> {
  const before = await operator.metric("federation_operator_reconciles_total");
  const since = new Date();
  await client.request("PATCH", resourcePath(RESOURCES.FederationConfig, NAMESPACE, "wire"), {
    body: { metadata: { annotations: { "bench.wire.com/resync": String(Date.now()) } } },
    contentType: "application/merge-patch+json",
  });
  return writesAfterReconciles(cp, operator, since, before, 2);
}

/** A new operator process on unchanged peers: its first full reconcile. */
async function restartResync(cp: ControlPlane, operator: OperatorProcess): Promise<ResyncWrites & { operator: OperatorProcess }> {
  await operator.stop();
  const since = new Date();
  const next = await launchOperator(cp.kubeconfigPath, NAMESPACE);
  // Start queues the config key and the namespace's orphan key; both must finish.
  return { ...(await writesAfterReconciles(cp, next, since, 0, 2)), operator: next };
}

async function largeScale(client: RestClient, operator: OperatorProcess, outputs: ReturnType<typeof watchOutputs>, cas: readonly string[], settings: OperatorSettings): Promise<OperatorResult["large"]> {
  let maxRssMiB = 0;
  const sampler = setInterval(() => (maxRssMiB = Math.max(maxRssMiB, operator.memory().rssMiB)), 250);
  try {
    const started = performance.now();
    const createMs = await createPeers(client, NAMESPACE, settings.peers, settings.largePeers, cas, settings.concurrency * 2);
    const errors = () => operator.metric("federation_operator_reconciles_total", 'result="error"');
    const errorsAtCreate = await errors();
    // Converged, or two failed reconciles after the last peer was stored: at most one was running
    // then, so the second began with every peer in the operator's cache.
    let converged = false;
    await waitFor(
      async () => {
        converged = outputs.reflected.remotes === settings.largePeers && outputs.reflected.cas === Math.min(cas.length, settings.largePeers);
        return converged || (await errors()) >= errorsAtCreate + 2;
      },
      { description: `the operator to process ${settings.largePeers} peers`, timeoutMs: 150_000, intervalMs: 100 },
    ).catch(() => undefined);
    if (converged) await operatorSettled(client, operator, settings.largePeers).catch(() => undefined);
    const waitedMs = performance.now() - started;
    const memory = await memoryOf(operator);
    maxRssMiB = Math.max(maxRssMiB, memory.rssMiB);
    const failures = operator.output().split("\n").filter((line) => line.includes("reconcile failed"));
    const last = failures.at(-1);
    const problem = converged || last === undefined ? undefined : lastError(last);
    return { peers: settings.largePeers, createMs, converged, waitedMs, rssMiB: memory.rssMiB, maxRssMiB, peakMiB: memory.peakMiB, heapUsedMiB: memory.heapUsedMiB, ...(problem !== undefined ? { problem } : {}) };
  } finally {
    clearInterval(sampler);
  }
}

function lastError(line: string): string {
  try {
    const parsed = JSON.parse(line) as { err?: { message?: string } };
    return (parsed.err?.message ?? line).slice(0, 400);
  } catch {
    return line.slice(0, 400);
  }
}

export async function benchOperator(settings: OperatorSettings, say: (m: string) => void): Promise<OperatorResult> {
  say(`  generating ${settings.distinctCAs} peer CAs`);
  const cas: string[] = [];
  for (let i = 0; i < settings.distinctCAs; i++) cas.push((await createCertificateAuthority({ commonName: `Peer ${i} CA`, validityDays: 3650 })).certificatePem);
  say("  compiling the operator as its image does (npm run build)");
  buildCompiled();
  say("  starting a control plane (audit log on) and the operator process");
  const cp = await startControlPlane({ name: "bench-operator", controllerManager: false, auditLog: true });
  let operator: OperatorProcess | undefined;
  let logs = "";
  let outputs: ReturnType<typeof watchOutputs> | undefined;
  try {
    const client = await createRestClient(loadKubeConfig(cp.kubeconfigPath), "wire-federation-bench");
    await client.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } });
    await client.request("POST", resourcePath(RESOURCES.FederationConfig, NAMESPACE), { body: federationConfig });
    operator = await launchOperator(cp.kubeconfigPath, NAMESPACE);
    outputs = watchOutputs(client);
    await outputs.ready;
    const o = outputs;
    await waitFor(() => o.reflected.cas === 0 && o.reflected.remotes === 0, { description: "the operator's first outputs", timeoutMs: 60_000 });
    await operatorSettled(client, operator, 0);
    const rss0 = await memoryOf(operator);
    await operator.stop();
    const fromSources = await launchOperator(cp.kubeconfigPath, NAMESPACE, "sources");
    await operatorSettled(client, fromSources, 0);
    const rss0Sources = await memoryOf(fromSources);
    await fromSources.stop();
    const bareNode = await bareNodeMiB();
    say(`  RSS with no peer: ${rss0.rssMiB.toFixed(0)} MiB as the image runs it, ${rss0Sources.rssMiB.toFixed(0)} MiB from the sources; a bare node process ${bareNode.toFixed(0)} MiB`);
    operator = await launchOperator(cp.kubeconfigPath, NAMESPACE);
    await operatorSettled(client, operator, 0);
    const runs: ConvergeRun[] = [];
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      if (repeat > 0) await removeAll(client, o);
      const run = await convergeOnce(cp, client, operator, o, cas, settings, repeat);
      runs.push(run);
      say(`  #${repeat + 1}: bare create ${run.bareCreateMs.toFixed(0)} ms, converged ${run.convergeMs.toFixed(0)} ms, ${run.outputWrites} output writes ${JSON.stringify(run.outputWritesByResource)}, ${run.statusWrites} status writes, ${run.reconciles} reconciles taking ${run.reconcileSeconds.toFixed(2)} s`);
    }
    const rss1k = await memoryOf(operator);
    say(`  RSS at ${settings.peers} peers: ${rss1k.rssMiB.toFixed(0)} MiB (peak ${rss1k.peakMiB.toFixed(0)} MiB, V8 heap used ${rss1k.heapUsedMiB.toFixed(0)} MiB)`);
    logs += operator.output();
    const noop = await inProcessResync(cp, client, operator);
    const describe = (r: ResyncWrites) => `${r.writes} writes in ${r.reconciles} reconciles${r.list.length > 0 ? ` (${r.list.slice(0, 12).join(", ")})` : ""}`;
    say(`  no-op resync of the running operator: ${describe(noop)}`);
    const restart = await restartResync(cp, operator);
    operator = restart.operator;
    say(`  restarted operator's first reconcile: ${describe(restart)}`);
    say(`  creating ${settings.largePeers - settings.peers} more peers (${settings.largePeers} in all)`);
    const large = await largeScale(client, operator, o, cas, settings);
    say(`  ${settings.largePeers} peers: ${large.converged ? "converged" : "NOT converged"} after ${(large.waitedMs / 1000).toFixed(1)} s, RSS ${large.rssMiB.toFixed(0)} MiB (max sampled ${large.maxRssMiB.toFixed(0)} MiB, VmHWM ${large.peakMiB.toFixed(0)} MiB, V8 heap used ${large.heapUsedMiB.toFixed(0)} MiB)${large.problem ? `; operator: ${large.problem}` : ""}`);
    logs += operator.output();
    return { peers: settings.peers, runs, noop, restart: { writes: restart.writes, reconciles: restart.reconciles, list: restart.list }, rss0, rss0Sources, bareNodeMiB: bareNode, rss1k, large, logs };
  } finally {
    outputs?.stop();
    await operator?.stop();
    await cp.stop();
  }
}
