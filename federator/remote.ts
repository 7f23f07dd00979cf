// The egress call: discover the remote federator, take a pooled HTTP/2 session, send the request and
// hand back the remote's response as a stream (Wire's Federator.Remote.discoverAndCall).
import { constants as h2, type ClientHttp2Stream, type IncomingHttpHeaders as H2Headers, type OutgoingHttpHeaders } from "node:http2";
import type { IncomingHttpHeaders } from "node:http";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { collectUpTo, declaredLength, sendBody } from "./body.ts";
import type { FederatorConfig } from "../lib/api/federator-config.ts";
import { isInternalAddress } from "./address-policy.ts";
import { remoteFor, serverChainFitsRemote } from "./authorization.ts";
import type { Discovery } from "./discovery.ts";
import type { FederatorError } from "./errors.ts";
import { federationPath, type Component } from "./routes.ts";
import { serverChainFingerprints } from "./server-chain.ts";
import { classifyFailure, type ConnectFailure, type SessionPool } from "./session-pool.ts";

/** The port a pinned infraDomain is reached on: the Federation Ingress's HTTPS port. */
export const PINNED_PORT = 443;
/** How much of a remote's error body we keep for the `inner` error. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * The caller headers that go to the remote: what wire-api-federation's client sends
 * (Wire.API.Federation.Client: Content-Type, Accept, the API version header) and nothing else.
 * Federator.Remote forwards every caller header; that would hand a remote brig's cookies,
 * `Authorization` or `Z-User` if a caller ever sent them, so we list instead of filtering.
 * The trace id and Wire-Origin-Domain are set by us (forwardedRequestHeaders).
 */
export const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set(["content-type", "content-length", "accept", "x-wire-api-version"]);

/**
 * The remote's response headers we return: a wire-server remote sends only Content-Type
 * (Federator.ExternalServer keeps `Content-Type` of the component's answer), plus the length.
 * Anything else (`Set-Cookie` above all) is the remote speaking to our caller; never passed on.
 */
export const RETURNED_RESPONSE_HEADERS: ReadonlySet<string> = new Set(["content-type", "content-length"]);

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
 * Caller headers as they go to the remote: the allow-list only (hop-by-hop, cookies, credentials
 * and federator-owned headers never pass); the
 * trace id travels as both `Wire-Origin-Request-Id` and `Request-Id`, as Federator.Remote sends it.
 */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders, originDomain: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && FORWARDED_REQUEST_HEADERS.has(name)) out[name] = value;
  }
  const requestId = originRequestId(headers);
  out["wire-origin-domain"] = originDomain;
  out["wire-origin-request-id"] = requestId;
  out["request-id"] = requestId;
  return out;
}

/** The remote's response headers as we return them: the allow-list only. */
export function returnedResponseHeaders(headers: H2Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && RETURNED_RESPONSE_HEADERS.has(name)) out[name] = value;
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
  if (!config.dns.allowPrivateTargets && isInternalAddress(address.address)) return { ok: false, error: { kind: "RemoteTargetRefused", target: host, path, address: address.address } };
  return { ok: true, host, port, address: address.address };
}

/**
 * RST_STREAM without END_STREAM. `close(code)` would first end the body (END_STREAM) and reset
 * after, so the remote would see a truncated body as complete; destroy() resets at once.
 */
function resetStream(stream: ClientHttp2Stream, reason: string): void {
  stream.destroy(new Error(reason));
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
 * Bodies up to this size are held in memory so that a request the remote refused without processing
 * it (REFUSED_STREAM, e.g. while nginx reloads and its old worker sends GOAWAY) can be sent again on a
 * fresh session. wire-server's client declares no Content-Length, so the size is found by reading.
 * Larger bodies stream through once.
 */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;
const MAX_ATTEMPTS = 3;

type Attempt = { readonly refused: boolean; readonly result: RemoteResult };

async function attempt(deps: RemoteDeps, config: FederatorConfig, request: RemoteRequest, target: ResolvedTarget, path: string, payload: Buffer | undefined): Promise<Attempt> {
  const outgoing = { ...forwardedRequestHeaders(request.headers, config.backendDomain), [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: path };
  const opened = await deps.pool.request(target, outgoing, (session) => {
    const misfit = serverChainFitsRemote(serverChainFingerprints(session), request.targetDomain, config);
    return misfit === undefined ? undefined : { phase: "tls", detail: `${target.host}: ${misfit}` };
  });
  if (!opened.ok) return { refused: false, result: { ok: false, error: failureError(opened.failure, target.host, path), target: target.host } };
  const stream = opened.stream;
  const timeoutMs = config.limits.requestTimeoutSeconds * 1000;
  let timedOut = false;
  stream.setTimeout(timeoutMs, () => {
    timedOut = true;
    resetStream(stream, "timeout");
  });
  const limit = config.limits.maxBodyBytes;
  const body = payload !== undefined ? (stream.end(payload), { exceeded: () => false }) : sendBody(request.body, stream, limit, declaredLength(request.headers), () => resetStream(stream, "caller aborted"));
  const response = await awaitResponse(stream);
  if (body.exceeded()) {
    resetStream(stream, "body too large");
    return { refused: false, result: { ok: false, error: { kind: "RequestTooLarge", limit } } };
  }
  if (!response.ok) {
    const failure = classifyFailure(response.error, "http2");
    const detail = timedOut ? `no response within ${timeoutMs} ms` : failure.detail;
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
  const collected = length === undefined || length <= REPLAYABLE_BODY_BYTES ? await collectUpTo(request.body, REPLAYABLE_BODY_BYTES) : undefined;
  if (collected?.kind === "aborted") return { ok: false, error: { kind: "RequestAborted" } };
  const payload = collected?.kind === "complete" ? collected.body : undefined;
  if (payload !== undefined && payload.length > config.limits.maxBodyBytes) return { ok: false, error: { kind: "RequestTooLarge", limit: config.limits.maxBodyBytes } };
  for (let n = 1; ; n++) {
    const { refused, result } = await attempt(deps, config, request, target, path, payload);
    if (!refused || payload === undefined || n >= MAX_ATTEMPTS) return result;
  }
}
