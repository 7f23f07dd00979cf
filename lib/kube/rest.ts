// A thin Kubernetes REST client over node:https. It knows HTTP and JSON, nothing about federation.
// Watches and ordinary requests have separate connection pools: watches hold their connection for
// minutes, and sharing one capped pool let a dozen namespaces' watches starve every apply, status
// write and Lease renewal (which then waited in the pool forever). Every request has a deadline
// counted from the call, so time spent waiting for a connection counts too.
import https from "node:https";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import { loadKubeConfig, type KubeConnection } from "./kubeconfig.ts";

export { loadKubeConfig };

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
  /** e.g. the PartialObjectMetadata representation for metadata-only lists and watches. */
  readonly accept?: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly signal?: AbortSignal;
}

export type WatchEvent = { readonly type: string; readonly object: Record<string, unknown> };

export interface RestClient {
  request(method: string, path: string, options?: RequestOptions): Promise<KubeResponse>;
  /** Streams watch events until the server closes the stream (resolves) or it fails (rejects). */
  watch(path: string, options: Pick<RequestOptions, "query" | "accept">, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** Every successful write (create/update/patch/delete), for metrics and tests. */
  readonly writes: { count: number };
  /** Open connections to the API server: for requests (bounded) and for watches (one each). */
  connections(): { requests: number; watches: number };
  /** Closes idle connections (watches end through their signals). */
  close(): void;
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
/** Concurrent ordinary requests; more wait for a connection (within their deadline). */
export const MAX_REQUEST_CONNECTIONS = 16;
/** Watches end on the server's timeoutSeconds (at most 6 minutes) or carry bookmarks; a connection silent longer is dead. */
const WATCH_SILENCE_MS = 420_000;

function countSockets(agent: https.Agent): number {
  let count = 0;
  for (const list of [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)]) count += list?.length ?? 0;
  return count;
}

export async function createRestClient(connection: KubeConnection, userAgent = "wire-federation-operator"): Promise<RestClient> {
  const server = connection.server;
  const tls = {
    ...(connection.ca === undefined ? {} : { ca: connection.ca }),
    ...(connection.cert === undefined ? {} : { cert: connection.cert }),
    ...(connection.key === undefined ? {} : { key: connection.key }),
    ...(connection.tlsServerName === undefined ? {} : { servername: connection.tlsServerName }),
    rejectUnauthorized: !connection.insecureSkipTlsVerify,
  };
  const requests = new https.Agent({ keepAlive: true, maxSockets: MAX_REQUEST_CONNECTIONS, ...tls });
  // One connection per watch, never queued behind another.
  const watches = new https.Agent({ keepAlive: false, maxSockets: Infinity, ...tls });
  const writes = { count: 0 };
  const basePath = server.pathname.replace(/\/$/, "");

  function headers(options: RequestOptions, payload: string | undefined): Record<string, string | number | string[]> {
    const token = connection.token?.();
    return {
      "user-agent": userAgent,
      accept: options.accept ?? "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(connection.impersonate === undefined ? {} : { "impersonate-user": connection.impersonate.user, ...(connection.impersonate.groups.length > 0 ? { "impersonate-group": [...connection.impersonate.groups] } : {}) }),
      ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) }),
    };
  }

  function open(agent: https.Agent, method: string, path: string, options: RequestOptions, signal: AbortSignal) {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = https.request({
      protocol: server.protocol,
      hostname: server.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: server.port,
      path: withQuery(`${basePath}${path}`, options.query),
      method,
      agent,
      headers: headers(options, payload),
      signal,
    });
    request.end(payload);
    return request;
  }

  return {
    writes,
    connections: () => ({ requests: countSockets(requests), watches: countSockets(watches) }),
    close() {
      requests.destroy();
      watches.destroy();
    },
    request(method, path, options = {}) {
      return new Promise((resolve, reject) => {
        const deadline = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
        const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
        const request = open(requests, method, path, options, signal);
        request.on("error", (error) => {
          if (deadline.aborted) reject(new KubeApiError(504, "Timeout", `${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`));
          else reject(error);
        });
        request.on("response", (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (c: Buffer) => chunks.push(c));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = response.statusCode ?? 0;
            if (status >= 400) return reject(apiError(status, text));
            if (WRITE_METHODS.has(method)) writes.count++;
            try {
              resolve({ status, body: text === "" ? undefined : (JSON.parse(text) as unknown) });
            } catch (error) {
              reject(error);
            }
          });
        });
      });
    },
    watch(path, options, onEvent, signal) {
      return new Promise((resolve, reject) => {
        const request = open(watches, "GET", path, { ...options, query: { ...options.query, watch: true } }, signal);
        request.setTimeout(WATCH_SILENCE_MS, () => request.destroy(new KubeApiError(504, "Timeout", `watch ${path}: connection silent for ${WATCH_SILENCE_MS / 60_000} minutes`)));
        request.on("socket", (socket: Socket) => socket.setKeepAlive(true, 30_000));
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
          const failed = (error: Error) => (signal.aborted ? resolve() : reject(error));
          lines.on("line", (line) => {
            if (line.trim() === "") return;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (error) {
              request.destroy(error instanceof Error ? error : new Error(String(error)));
            }
          });
          lines.on("close", () => resolve());
          // readline re-emits its input's errors; unhandled they would crash the process.
          lines.on("error", failed);
          response.on("error", failed);
        });
      });
    },
  };
}
