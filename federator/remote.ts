// The egress call: discover the remote federator, take a pooled HTTP/2 session, send the request and
// hand back the remote's response as a stream (Wire's Federator.Remote.discoverAndCall).
import { constants as h2, type ClientHttp2Stream, type IncomingHttpHeaders as H2Headers, type OutgoingHttpHeaders } from "node:http2";
import type { IncomingHttpHeaders } from "node:http";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { declaredLength, sendBody } from "./body.ts";
import type { FederatorConfig } from "../lib/api/federator-config.ts";
import { remoteFor } from "./authorization.ts";
import type { Discovery } from "./discovery.ts";
import type { FederatorError } from "./errors.ts";
import { federationPath, type Component } from "./routes.ts";
import { classifyFailure, type ConnectFailure, type SessionPool } from "./session-pool.ts";

/** The port a pinned infraDomain is reached on: the Federation Ingress's HTTPS port. */
export const PINNED_PORT = 443;
/** How much of a remote's error body we keep for the `inner` error. */
const MAX_ERROR_BODY = 64 * 1024;

/** Headers that describe one HTTP/1.1 hop or that only we may set; never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "te",
  "http2-settings",
  "x-ssl-certificate",
  "wire-origin-domain",
]);

export interface RemoteRequest {
  readonly targetDomain: string;
  readonly component: Component;
  readonly rpc: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
}

export interface RemoteResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable;
  readonly target: string;
}

export type RemoteResult = { readonly ok: true; readonly response: RemoteResponse } | { readonly ok: false; readonly error: FederatorError; readonly target?: string };

export interface RemoteDeps {
  readonly discovery: Discovery;
  readonly pool: SessionPool;
}

/**
 * The trace id of a call: the caller's `Wire-Origin-Request-Id` (wire-server's federation client
 * sets it), else its `Request-Id`, else a new one (wai-utilities' requestIdMiddleware makes one).
 */
export function originRequestId(headers: IncomingHttpHeaders): string {
  const origin = headers["wire-origin-request-id"];
  if (typeof origin === "string" && origin !== "") return origin;
  const own = headers["request-id"];
  return typeof own === "string" && own !== "" ? own : randomUUID();
}

/**
 * Caller headers as they go to the remote: hop-by-hop and federator-owned headers removed; the
 * trace id travels as both `Wire-Origin-Request-Id` and `Request-Id`, as Federator.Remote sends it.
 */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders, originDomain: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith(":")) continue;
    out[name] = value;
  }
  const requestId = originRequestId(headers);
  out["wire-origin-domain"] = originDomain;
  out["wire-origin-request-id"] = requestId;
  out["request-id"] = requestId;
  return out;
}

/** The remote's response headers as we return them: pseudo and hop-by-hop headers removed. */
export function returnedResponseHeaders(headers: H2Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(":") || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function failureError(failure: ConnectFailure, target: string, path: string): FederatorError {
  switch (failure.phase) {
    case "connect":
      return { kind: "RemoteConnectionRefused", target, path, detail: failure.detail };
    case "tls":
      return { kind: "RemoteTlsError", target, path, detail: failure.detail };
    case "http2":
      return { kind: "RemoteHttp2Error", target, path, detail: failure.detail };
  }
}

async function readCapped(stream: Readable, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    if (size < cap) chunks.push(buffer.subarray(0, cap - size));
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}

/** Resolves the target: the pinned infraDomain of the peer, else the first SRV target. */
type ResolvedTarget = { readonly host: string; readonly port: number; readonly address: string };

async function resolveTarget(deps: RemoteDeps, config: FederatorConfig, domain: string, path: string): Promise<({ ok: true } & ResolvedTarget) | { ok: false; error: FederatorError }> {
  const pin = remoteFor(config, domain)?.infraDomain ?? null;
  let host: string;
  let port: number;
  if (pin !== null) {
    host = pin;
    port = PINNED_PORT;
  } else {
    const discovered = await deps.discovery.discover(domain);
    if (!discovered.ok) return discovered;
    const first = discovered.targets[0];
    if (first === undefined) return { ok: false, error: { kind: "SrvNotAvailable", srvName: domain } };
    host = first.host;
    port = first.port;
  }
  const address = await deps.discovery.address(host);
  // wire-server connects to the SRV target by name: a name without an address is a refused connection.
  if (!address.ok) return { ok: false, error: { kind: "RemoteConnectionRefused", target: host, path, detail: address.detail } };
  return { ok: true, host, port, address: address.address };
}

type ResponseHead = { ok: true; headers: H2Headers } | { ok: false; error: unknown };

/**
 * The response head, or why there is none. Settles once and then removes its listeners: a `close`
 * listener left behind would build an Error (with its stack trace) after every successful response.
 */
function awaitResponse(stream: ClientHttp2Stream): Promise<ResponseHead> {
  return new Promise((resolve) => {
    const settle = (head: ResponseHead) => {
      stream.off("response", onResponse).off("error", onError).off("close", onClose);
      resolve(head);
    };
    const onResponse = (headers: H2Headers) => settle({ ok: true, headers });
    const onError = (error: unknown) => settle({ ok: false, error });
    const onClose = () => settle({ ok: false, error: new Error(`the stream closed without a response (code ${stream.rstCode ?? "none"})`) });
    stream.once("response", onResponse).once("error", onError).once("close", onClose);
  });
}

/**
 * Bodies up to this size (with a declared Content-Length) are held in memory so that a request the
 * remote refused without processing it (REFUSED_STREAM, e.g. while nginx reloads and its old worker
 * sends GOAWAY) can be sent again on a fresh session. Larger or chunked bodies stream through once.
 */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;
const MAX_ATTEMPTS = 3;

/** The whole body, by events: `for await` allocates an async iterator and a promise per chunk. */
function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) return reject(new Error("the request body ended before its declared length"));
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    stream.once("error", reject);
    // A caller that goes away mid-body ends the stream without `end`: never a partial body as whole.
    stream.once("close", () => stream.readableEnded || reject(new Error("the request body ended before its declared length")));
  });
}

type Attempt = { readonly refused: boolean; readonly result: RemoteResult };

async function attempt(deps: RemoteDeps, config: FederatorConfig, request: RemoteRequest, target: ResolvedTarget, path: string, payload: Buffer | undefined): Promise<Attempt> {
  const opened = await deps.pool.request(target, {
    ...forwardedRequestHeaders(request.headers, config.backendDomain),
    [h2.HTTP2_HEADER_METHOD]: "POST",
    [h2.HTTP2_HEADER_PATH]: path,
  });
  if (!opened.ok) return { refused: false, result: { ok: false, error: failureError(opened.failure, target.host, path), target: target.host } };
  const stream = opened.stream;
  const timeoutMs = config.limits.requestTimeoutSeconds * 1000;
  stream.setTimeout(timeoutMs, () => stream.close(h2.NGHTTP2_CANCEL));
  const limit = config.limits.maxBodyBytes;
  const body = payload !== undefined ? (stream.end(payload), { exceeded: () => false }) : sendBody(request.body, stream, limit, declaredLength(request.headers), () => stream.close(h2.NGHTTP2_CANCEL));
  const response = await awaitResponse(stream);
  if (body.exceeded()) {
    stream.close(h2.NGHTTP2_CANCEL);
    return { refused: false, result: { ok: false, error: { kind: "RequestTooLarge", limit } } };
  }
  if (!response.ok) {
    const failure = classifyFailure(response.error, "http2");
    const detail = stream.rstCode === h2.NGHTTP2_CANCEL ? `no response within ${timeoutMs} ms` : failure.detail;
    const refused = stream.rstCode === h2.NGHTTP2_REFUSED_STREAM;
    return { refused, result: { ok: false, error: failureError({ ...failure, detail }, target.host, path), target: target.host } };
  }
  const status = Number(response.headers[h2.HTTP2_HEADER_STATUS] ?? 0);
  if (status < 200 || status > 299) {
    const errorBody = await readCapped(stream, MAX_ERROR_BODY);
    return { refused: false, result: { ok: false, error: { kind: "RemoteErrorResponse", target: target.host, path, status, body: errorBody }, target: target.host } };
  }
  // As wire-server does: the remote's address, forensic metadata for the caller (never for authorization).
  const headers = { ...returnedResponseHeaders(response.headers), "wire-remote-ip": target.address };
  return { refused: false, result: { ok: true, response: { status, headers, body: stream, target: target.host } } };
}

export async function callRemote(deps: RemoteDeps, config: FederatorConfig, request: RemoteRequest): Promise<RemoteResult> {
  const path = federationPath(request.component, request.rpc);
  const target = await resolveTarget(deps, config, request.targetDomain, path);
  if (!target.ok) return target;
  const length = declaredLength(request.headers);
  const payload = length !== undefined && length <= REPLAYABLE_BODY_BYTES ? await readAll(request.body) : undefined;
  for (let n = 1; ; n++) {
    const { refused, result } = await attempt(deps, config, request, target, path, payload);
    if (!refused || payload === undefined || n >= MAX_ATTEMPTS) return result;
  }
}
