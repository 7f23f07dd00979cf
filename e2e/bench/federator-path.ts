// Federator data path: A's brig → A's federator → B's nginx (mTLS, HTTP/2) → the ingress hop (TLS)
// → B's federator → B's brig, and the Passthrough path A's brig → A's federator → B's federator
// terminating mutual TLS itself → B's brig, against the baseline a client with A's certificate →
// the same kind of nginx (B's Ingress, B's certificate and CA bundle) → B's brig directly. Throughput at a fixed number of connections,
// latency with one connection (closed loop, so it shows per-request overhead, not queueing), and
// A's egress TLS connections counted per 10k egress requests.
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import { readdirSync, readFileSync } from "node:fs";
import type { Environment } from "../federation/environment.ts";
import type { Backend, FederatorNode } from "../federation/backend.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { PASSTHROUGH_DOMAIN, startPassthroughFederator } from "./passthrough.ts";
import { startNginx, type NginxProcess } from "../nginx/nginx.ts";
import { freePorts } from "../controlplane/ports.ts";
import { waitFor } from "../support/wait-for.ts";
import { jsonBody, runLoad, type LoadResult, type LoadSpec } from "./load.ts";
import { percentile } from "./statistics.ts";
import { statusMiB } from "./operator-process.ts";

export type PathName = "federated" | "passthrough" | "direct";
export type RunKind = "throughput" | "latency";

export interface PathRun {
  readonly path: PathName;
  readonly kind: RunKind;
  readonly bodyBytes: number;
  readonly repeat: number;
  readonly connections: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failed: number;
  /** Federated and Passthrough runs: A's egress TLS connections opened and egress requests, over the whole run. */
  readonly handshakes?: number;
  readonly egressRequests?: number;
  /** Federated runs only: CPU time of A's and B's federator processes per request, in ms. */
  readonly federatorCpuMsPerRequest?: { readonly a: number; readonly b: number };
  /** Federated runs only: the highest RSS of A's and B's federator sampled during the run, in MiB. */
  readonly federatorPeakRssMiB?: { readonly a: number; readonly b: number };
  readonly latenciesMs: readonly number[];
}

export interface PathSettings {
  readonly bodySizes: readonly number[];
  readonly repeats: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly throughputConnections: number;
}

export const DEFAULT_PATH_SETTINGS: PathSettings = { bodySizes: [1024, 64 * 1024], repeats: 3, durationSeconds: 5, warmupSeconds: 1, throughputConnections: 10 };


async function secretData(backend: Backend, name: string): Promise<Record<string, string>> {
  return decodedSecretData(await backend.get("Secret", name)) ?? {};
}

/** B's Ingress as it would be for a plain-HTTP upstream: brig has no TLS, the hop is ours to pay for. */
function withoutHop(ingress: KubeObject): KubeObject {
  const annotations = Object.fromEntries(Object.entries(ingress.metadata.annotations ?? {}).filter(([key]) => !key.startsWith("nginx.ingress.kubernetes.io/proxy-ssl-")));
  return { ...ingress, metadata: { ...ingress.metadata, annotations: { ...annotations, "nginx.ingress.kubernetes.io/backend-protocol": "HTTP" } } };
}

/** A second nginx from B's own Ingress and Secrets whose every upstream is B's brig. */
async function startDirectNginx(b: Backend): Promise<{ nginx: NginxProcess; url: string }> {
  const live = await b.get("Ingress", "wire-federator");
  if (live === undefined) throw new Error("B has no Ingress");
  const ingress = withoutHop(live);
  const secrets = new Map<string, Record<string, string>>();
  for (const name of ["wire-tls", "wire-ca-bundle"]) secrets.set(`wire/${name}`, await secretData(b, name));
  const brig = new URL(b.components.brig.url);
  const [port] = (await freePorts(1, b.address)) as [number];
  const nginx = await startNginx({ ingress, secret: (n) => secrets.get(n), upstream: () => brig.host, listen: `${b.address}:${port}` });
  return { nginx, url: `https://${b.address}:${port}/federation/brig/get-user` };
}

/** Sum of a Prometheus counter's samples whose labels contain `labels`. */
export function counterSum(exposition: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels !== "" && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

export interface EgressTotals {
  /** A's egress TLS connections opened (each a TLS handshake). */
  readonly handshakes: number;
  /** A's egress requests to B. */
  readonly requests: number;
}

async function egressCounters(a: Backend, domain: string): Promise<EgressTotals> {
  const text = await (await fetch(`${a.federatorUrl}/i/metrics`)).text();
  return {
    handshakes: counterSum(text, "federator_tls_connections_opened_total"),
    requests: counterSum(text, "federator_outgoing_requests_total", `target_domain="${domain}"`),
  };
}

/** The pid of the federator process listening on `internal` (host:port), found in /proc. */
function federatorPid(internal: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args.some((a) => /federator\/main\.[jt]s$/.test(a)) && args.includes(internal)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** User + system CPU time of a process in ms (/proc/<pid>/stat fields 14 and 15, at 100 ticks/s). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  return statusMiB(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");
}

/** Samples both federators' RSS every 100 ms until `stop` is called, which returns the peaks. */
function sampleRss(pids: { a: number | undefined; b: number | undefined }): () => { a: number; b: number } {
  const peak = { a: rssMiB(pids.a), b: rssMiB(pids.b) };
  const timer = setInterval(() => {
    peak.a = Math.max(peak.a, rssMiB(pids.a));
    peak.b = Math.max(peak.b, rssMiB(pids.b));
  }, 100);
  return () => (clearInterval(timer), peak);
}

function summarise(result: LoadResult): Pick<PathRun, "requestsPerSecond" | "p50Ms" | "p99Ms" | "requests" | "failed" | "latenciesMs"> {
  return {
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    requests: result.requests,
    failed: result.non2xx + result.errors + result.timeouts,
    latenciesMs: result.latenciesMs,
  };
}

/** `passthroughNode`: how to start the Passthrough path's federator; without it that path is not run. */
export async function benchFederatorPath(env: Environment, settings: PathSettings, say: (m: string) => void, passthroughNode?: FederatorNode): Promise<{ runs: PathRun[]; sinceStart: EgressTotals; idleRssMiB: { a: number; b: number } }> {
  const { a, b } = env;
  await waitFor(async () => (await fetch(`${a.federatorUrl}/rpc/${b.domain}/brig/get-user`, { method: "POST", body: "{}" })).status === 200, {
    description: "A→B through both federators",
    timeoutMs: 30_000,
  });
  // The fake brig records every request; the bench does not need them and must not hold gigabytes.
  const forget = setInterval(() => (b.components.brig.requests.length = 0), 200);
  const direct = await startDirectNginx(b);
  const passthrough = passthroughNode === undefined ? undefined : await startPassthroughFederator(env, passthroughNode, say);
  const client = await secretData(a, "wire-tls");
  const pids = { a: federatorPid(`${a.address}:${a.ports.internal}`), b: federatorPid(`${b.address}:${b.ports.internal}`) };
  const pidsOf = (path: PathName) => (path === "passthrough" && passthrough !== undefined ? { a: pids.a, b: federatorPid(passthrough.internal) } : pids);
  const targetOf = (path: PathName) => (path === "passthrough" ? PASSTHROUGH_DOMAIN : b.domain);
  const idleRssMiB = { a: rssMiB(pids.a), b: rssMiB(pids.b) };
  const runs: PathRun[] = [];
  try {
    const specFor = (path: PathName, bodyBytes: number, connections: number): LoadSpec => ({
      body: jsonBody(bodyBytes),
      connections,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      ...(path !== "direct"
        ? { url: `${a.federatorUrl}/rpc/${targetOf(path)}/brig/get-user` }
        : { url: direct.url, headers: { "wire-origin-domain": a.domain }, tls: { servername: b.infraDomain, cert: client["tls.crt"] ?? "", key: client["tls.key"] ?? "" } }),
    });
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      for (const bodyBytes of settings.bodySizes) {
        for (const [kind, connections] of [["throughput", settings.throughputConnections], ["latency", 1]] as const) {
          // Alternating the order per repeat spreads slow drifts of the machine over both paths.
          const paths: PathName[] = ["direct", "federated", ...(passthrough === undefined ? [] : (["passthrough"] as const))];
          const order = repeat % 2 === 0 ? paths : [...paths].reverse();
          for (const path of order) {
            const measured = pidsOf(path);
            const before = path !== "direct" ? await egressCounters(a, targetOf(path)) : undefined;
            const cpuBefore = { a: cpuMs(measured.a), b: cpuMs(measured.b) };
            const peaks = sampleRss(measured);
            const result = await runLoad(specFor(path, bodyBytes, connections));
            const peakRss = peaks();
            const cpuAfter = { a: cpuMs(measured.a), b: cpuMs(measured.b) };
            const after = path !== "direct" ? await egressCounters(a, targetOf(path)) : undefined;
            if (result.ok === 0) throw new Error(`${path} ${bodyBytes} B: no successful request (${result.non2xx} non-2xx, ${result.errors} errors)`);
            const counted =
              before && after
                ? {
                    handshakes: after.handshakes - before.handshakes,
                    egressRequests: after.requests - before.requests,
                    federatorCpuMsPerRequest: { a: (cpuAfter.a - cpuBefore.a) / (after.requests - before.requests), b: (cpuAfter.b - cpuBefore.b) / (after.requests - before.requests) },
                    federatorPeakRssMiB: peakRss,
                  }
                : {};
            const run: PathRun = { path, kind, bodyBytes, repeat, connections, ...summarise(result), ...counted };
            runs.push(run);
            say(`  ${kind.padEnd(10)} ${path.padEnd(11)} ${String(bodyBytes).padStart(6)} B  #${repeat + 1}: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, ${run.failed} failed${run.federatorCpuMsPerRequest ? `, federator CPU/request A ${run.federatorCpuMsPerRequest.a.toFixed(2)} ms, B ${run.federatorCpuMsPerRequest.b.toFixed(2)} ms` : ""}${run.federatorPeakRssMiB ? `, peak RSS A ${run.federatorPeakRssMiB.a.toFixed(0)} MiB, B ${run.federatorPeakRssMiB.b.toFixed(0)} MiB` : ""}`);
          }
        }
      }
    }
  } finally {
    clearInterval(forget);
    await direct.nginx.stop();
    await passthrough?.stop();
  }
  return { runs, sinceStart: await egressCounters(a, b.domain), idleRssMiB };
}
