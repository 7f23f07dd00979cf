// The federator's command line and container entry point:
//   node federator/main.ts --config /etc/federator/config/federator.yaml [--tls-dir DIR] [--ca-dir DIR]
//   node federator/main.ts --reload Watch --watch-namespace NS --watch-configmap NAME --watch-tls-secret NAME --watch-ca-secret NAME
import { parseArgs } from "node:util";
import { createLogger, type Logger } from "../lib/log.ts";
import { readSources, type FileLocations, type ReadResult } from "./config.ts";
import { startFederator, type Federator } from "./federator.ts";
import { watchFiles } from "./reload-files.ts";
import { connectKubeSources, reloadOnChange, type KubeObjects } from "./reload-watch.ts";

export const USAGE = `Usage: federator [options]
  --config FILE              federator.yaml (Files mode; required there)
  --tls-dir DIR              directory with tls.crt and tls.key (overrides tls.certFile/keyFile)
  --ca-dir DIR               directory with ca.crt (overrides tls.caBundleFile)
  --hop-dir DIR              directory with the ingress hop's tls.crt, tls.key and ca.crt (overrides listen.ingressHop's files)
  --internal HOST:PORT       internal listener (overrides listen.internal)
  --external HOST:PORT       external listener (overrides listen.external)
  --reload Files|Watch       how configuration changes arrive (default Files)
  --watch-namespace NS       Watch mode: namespace of the objects below
  --watch-configmap NAME     Watch mode: ConfigMap with key federator.yaml
  --watch-tls-secret NAME    Watch mode: Secret with tls.crt and tls.key
  --watch-ca-secret NAME     Watch mode: Secret with ca.crt
  --watch-hop-secret NAME    Watch mode: Secret with the ingress hop's tls.crt, tls.key and ca.crt (listen.ingressHop)
  --kubeconfig FILE          Watch mode: kubeconfig (default: in-cluster service account)
  --pool-size N              HTTP/2 sessions per remote federator (default 1)
  --poll-interval-ms N       Files mode: re-read interval besides directory events (default 10000)
  --shutdown-grace-ms N      on SIGTERM, time for requests in flight to finish (default 10000)
  --help`;

export interface CliOptions {
  readonly mode: "Files" | "Watch";
  readonly files?: FileLocations;
  readonly kube?: KubeObjects & { readonly kubeconfig?: string | undefined };
  readonly internal?: string | undefined;
  readonly external?: string | undefined;
  readonly poolSize: number;
  readonly pollIntervalMs: number;
  /** On SIGTERM, how long requests in flight may take to finish. */
  readonly shutdownGraceMs?: number;
}

export type CliParse = { readonly ok: true; readonly options: CliOptions } | { readonly ok: false; readonly message: string };

function positiveInteger(value: string | undefined, flag: string, fallback: number): number | string {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : `${flag} must be a positive integer (got ${value})`;
}

export function parseCli(argv: readonly string[]): CliParse {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        config: { type: "string" },
        "tls-dir": { type: "string" },
        "ca-dir": { type: "string" },
        "hop-dir": { type: "string" },
        internal: { type: "string" },
        external: { type: "string" },
        reload: { type: "string" },
        "watch-namespace": { type: "string" },
        "watch-configmap": { type: "string" },
        "watch-tls-secret": { type: "string" },
        "watch-ca-secret": { type: "string" },
        "watch-hop-secret": { type: "string" },
        kubeconfig: { type: "string" },
        "pool-size": { type: "string" },
        "poll-interval-ms": { type: "string" },
        "shutdown-grace-ms": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help === true) return { ok: false, message: "" };
  const mode = values.reload ?? (values["watch-configmap"] !== undefined ? "Watch" : "Files");
  if (mode !== "Files" && mode !== "Watch") return { ok: false, message: `--reload must be Files or Watch (got ${mode})` };
  const poolSize = positiveInteger(values["pool-size"], "--pool-size", 1);
  if (typeof poolSize === "string") return { ok: false, message: poolSize };
  const pollIntervalMs = positiveInteger(values["poll-interval-ms"], "--poll-interval-ms", 10_000);
  if (typeof pollIntervalMs === "string") return { ok: false, message: pollIntervalMs };
  const shutdownGraceMs = positiveInteger(values["shutdown-grace-ms"], "--shutdown-grace-ms", 10_000);
  if (typeof shutdownGraceMs === "string") return { ok: false, message: shutdownGraceMs };
  const common = { internal: values.internal, external: values.external, poolSize, pollIntervalMs, shutdownGraceMs };
  if (mode === "Files") {
    if (values.config === undefined) return { ok: false, message: "--config is required in Files mode" };
    return { ok: true, options: { mode, ...common, files: { configFile: values.config, tlsDir: values["tls-dir"], caDir: values["ca-dir"], hopDir: values["hop-dir"] } } };
  }
  const required = ["watch-namespace", "watch-configmap", "watch-tls-secret", "watch-ca-secret"] as const;
  const missing = required.filter((flag) => values[flag] === undefined);
  if (missing.length > 0) return { ok: false, message: `Watch mode needs ${missing.map((f) => `--${f}`).join(", ")}` };
  const kube = {
    namespace: values["watch-namespace"] ?? "",
    configMap: values["watch-configmap"] ?? "",
    tlsSecret: values["watch-tls-secret"] ?? "",
    caSecret: values["watch-ca-secret"] ?? "",
    hopSecret: values["watch-hop-secret"],
    kubeconfig: values.kubeconfig,
  };
  return { ok: true, options: { mode, ...common, kube } };
}

export interface Running {
  readonly federator: Federator;
  stop(): Promise<void>;
}

/** Starts the federator and its reloader; rejects when the first configuration is unusable. */
export async function run(options: CliOptions, log: Logger): Promise<Running> {
  const listen = { internal: options.internal, external: options.external };
  if (options.mode === "Files" && options.files !== undefined) {
    const files = options.files;
    const first = await readSources(files);
    if (!first.ok) throw new Error(first.reason);
    const federator = await startFederator({ sources: first.sources, listen, poolSize: options.poolSize, log, defaultMetrics: true });
    const reloader = watchFiles({ locations: files, federator, log, pollIntervalMs: options.pollIntervalMs });
    return { federator, stop: async () => (reloader.close(), await federator.close(options.shutdownGraceMs)) };
  }
  const kube = options.kube;
  if (kube === undefined) throw new Error("Watch mode needs the objects to watch");
  const sources = await connectKubeSources(kube, log);
  const first: ReadResult = sources.current();
  if (!first.ok) {
    sources.close();
    throw new Error(`cannot read the federator's objects: ${first.reason}`);
  }
  const federator = await startFederator({ sources: first.sources, listen, poolSize: options.poolSize, log, defaultMetrics: true, kubeWatchRequests: () => sources.watchRequests() });
  reloadOnChange(sources, federator);
  return { federator, stop: async () => (sources.close(), await federator.close(options.shutdownGraceMs)) };
}

async function main(): Promise<void> {
  const log = createLogger({ name: "federator" });
  const parsed = parseCli(process.argv.slice(2));
  if (!parsed.ok) {
    if (parsed.message !== "") console.error(parsed.message);
    console.error(USAGE);
    process.exit(parsed.message === "" ? 0 : 2);
  }
  let running: Running;
  try {
    running = await run(parsed.options, log);
  } catch (error) {
    log.fatal({ message: error instanceof Error ? error.message : String(error) }, "federator cannot start");
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

if (import.meta.main) void main();
