// A thin Kubernetes REST client over node:https, authenticated from a kubeconfig (or the pod's
// service account). It knows HTTP and JSON, nothing about federation.
import https from "node:https";
import { createInterface } from "node:readline";
import { KubeConfig } from "@kubernetes/client-node";

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A failed API call: status code, the API server's reason and message. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
  }
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly signal?: AbortSignal;
}

export type WatchEvent = { readonly type: string; readonly object: Record<string, unknown> };

export interface RestClient {
  request(method: string, path: string, options?: RequestOptions): Promise<KubeResponse>;
  /** Streams watch events until the server closes the stream (resolves) or it fails (rejects). */
  watch(path: string, query: RequestOptions["query"], onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** Every successful write (create/update/patch/delete), for metrics and tests. */
  readonly writes: { count: number };
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}

function withQuery(path: string, query: RequestOptions["query"]): string {
  const entries = Object.entries(query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  if (entries.length === 0) return path;
  return `${path}?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

function apiError(status: number, text: string): KubeApiError {
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, body.reason ?? "Unknown", body.message ?? text);
  } catch {
    return new KubeApiError(status, "Unknown", text.slice(0, 500));
  }
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** A request that hangs (rather than failing) must not stall a reconcile or a lease renewal forever. */
export const REQUEST_TIMEOUT_MS = 30_000;

export async function createRestClient(kc: KubeConfig, userAgent = "wire-federation-operator"): Promise<RestClient> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("the kubeconfig has no current cluster");
  const server = new URL(cluster.server);
  const base: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(base);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca: base.ca, cert: base.cert, key: base.key, rejectUnauthorized: base.rejectUnauthorized ?? true });
  const headers = { ...(base.headers as Record<string, string> | undefined), "user-agent": userAgent, accept: "application/json" };
  const writes = { count: 0 };

  function open(method: string, path: string, options: RequestOptions) {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = https.request({
      protocol: server.protocol,
      hostname: server.hostname,
      port: server.port,
      path: withQuery(`${server.pathname.replace(/\/$/, "")}${path}`, options.query),
      method,
      agent,
      headers: { ...headers, ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) }) },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    request.end(payload);
    return request;
  }

  return {
    writes,
    request(method, path, options = {}) {
      return new Promise((resolve, reject) => {
        const request = open(method, path, options);
        request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new KubeApiError(504, "Timeout", `${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)));
        request.on("error", reject);
        request.on("response", (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (c: Buffer) => chunks.push(c));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = response.statusCode ?? 0;
            if (status >= 400) return reject(apiError(status, text));
            if (WRITE_METHODS.has(method)) writes.count++;
            resolve({ status, body: text === "" ? undefined : (JSON.parse(text) as unknown) });
          });
        });
      });
    },
    watch(path, query, onEvent, signal) {
      return new Promise((resolve, reject) => {
        const request = open("GET", path, { query: { ...query, watch: true }, signal });
        // Watches end on the server's timeoutSeconds (at most 6 minutes) or carry bookmarks; a
        // silent connection past that is dead, and the informer re-watches.
        request.setTimeout(420_000, () => request.destroy(new KubeApiError(504, "Timeout", `watch ${path}: connection silent for 7 minutes`)));
        request.on("error", (error) => (signal.aborted ? resolve() : reject(error)));
        request.on("response", (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 400) {
            const chunks: Buffer[] = [];
            response.on("data", (c: Buffer) => chunks.push(c));
            response.on("end", () => reject(apiError(status, Buffer.concat(chunks).toString("utf8"))));
            return;
          }
          const lines = createInterface({ input: response, crlfDelay: Infinity });
          lines.on("line", (line) => {
            if (line.trim() !== "") onEvent(JSON.parse(line) as WatchEvent);
          });
          const failed = (error: Error) => (signal.aborted ? resolve() : reject(error));
          lines.on("close", () => resolve());
          // readline re-emits its input's errors; unhandled they would crash the process.
          lines.on("error", failed);
          response.on("error", failed);
        });
      });
    },
  };
}
