// A fake wire-server component (brig, galley, cargohold, background-worker) calling its local
// federator exactly as wire-server's federation client does (libs/wire-api-federation/src/Wire/API/
// Federation/Client.hs): HTTP/2 with prior knowledge over cleartext on one reused connection,
// `POST /rpc/<target>/<component>/<rpc>`, headers `Wire-Origin-Domain`, `Accept`,
// `Wire-Origin-Request-Id` and (after version negotiation) `X-Wire-API-Version`, no Content-Type;
// every call starts with brig's `api-version` (body `[]`), as runFederatorClient negotiates first;
// answers are read as mkFailureResponse reads them.
import { connect, constants as h2, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { randomUUID } from "node:crypto";

/** The federation API versions this component supports (Wire.API.Federation.Version: V0..V3). */
export const SUPPORTED_VERSIONS: readonly number[] = [0, 1, 2, 3];

/** A Wai error as wai-utilities encodes it, with the federation data mkFailureResponse adds. */
export interface WaiError {
  readonly code: number;
  readonly label: string;
  readonly message: string;
  readonly data?: { readonly type?: string; readonly domain: string; readonly path: string };
  readonly inner?: WaiError;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type WireCallResult =
  | { readonly ok: true; readonly version: number; readonly response: RawResponse; readonly json: unknown }
  | { readonly ok: false; readonly stage: "api-version" | "call"; readonly response: RawResponse; readonly error: WaiError };

export interface WireClientOptions {
  /** The local federator's internal endpoint, e.g. `http://127.0.0.2:8080` (Wire's `federator` host and port). */
  readonly federator: string;
  readonly originDomain: string;
  readonly component?: "brig" | "galley" | "cargohold" | "background-worker";
}

export interface CallOptions {
  /** Wire-Origin-Request-Id; a fresh UUID when absent, as wire-server's request-id middleware makes one. */
  readonly requestId?: string;
  /** The JSON body (servant-client encodes it; the federation client drops its Content-Type). */
  readonly body?: unknown;
}

function isWaiError(value: unknown): value is WaiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["code"] === "number" && typeof v["label"] === "string" && typeof v["message"] === "string";
}

function decode(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Client.hs mkFailureResponse: a 403 is the local federator's fault; anything else is a Wai error. */
export function failureError(status: number, targetDomain: string, rpc: string, body: Buffer): WaiError {
  const text = body.toString("utf8");
  if (status === 403) return { code: 500, label: "federation-local-error", message: `Local federator failure: ${text}` };
  const decoded = decode(body);
  const base: WaiError = isWaiError(decoded) ? decoded : { code: status, label: "unknown-federation-error", message: text };
  return { ...base, data: { type: "federation", domain: targetDomain, path: `/federation/${rpc}` } };
}

/** Client.hs versionNegotiation: the highest version both sides support (`supported_versions`, else [0]). */
export function negotiateVersion(answer: unknown): number | undefined {
  const listed = typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>)["supported_versions"] : undefined;
  const remote = Array.isArray(listed) ? listed.filter((v): v is number => typeof v === "number") : [0];
  const common = remote.filter((v) => SUPPORTED_VERSIONS.includes(v));
  return common.length === 0 ? undefined : Math.max(...common);
}

export class WireClient {
  readonly #options: WireClientOptions;
  #session: ClientHttp2Session | undefined;
  /** HTTP/2 connections this client opened: wire-server's Http2Manager keeps one per federator. */
  connectionsOpened = 0;

  constructor(options: WireClientOptions) {
    this.#options = options;
  }

  #connection(): ClientHttp2Session {
    if (this.#session !== undefined && !this.#session.closed && !this.#session.destroyed) return this.#session;
    // An http:// authority makes node:http2 speak cleartext HTTP/2 with prior knowledge.
    const session = connect(this.#options.federator);
    session.on("error", () => undefined); // surfaced through the streams that fail
    session.once("close", () => {
      if (this.#session === session) this.#session = undefined;
    });
    this.connectionsOpened++;
    this.#session = session;
    return session;
  }

  /** One HTTP/2 request on the shared connection; `headers` as Client.hs builds them. */
  request(path: string, headers: Record<string, string>, body: Buffer): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const stream = this.#connection().request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: path, ...headers });
      let responseHeaders: IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (responseHeaders = h));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (responseHeaders === undefined) reject(new Error(`no response to POST ${path}`));
        else resolve({ status: Number(responseHeaders[h2.HTTP2_HEADER_STATUS]), headers: responseHeaders, body: Buffer.concat(chunks) });
      });
      stream.on("error", reject);
      stream.end(body);
    });
  }

  #headers(requestId: string, accept: string, version: number | undefined): Record<string, string> {
    const headers: Record<string, string> = {};
    if (version !== undefined) headers["x-wire-api-version"] = String(version);
    headers["wire-origin-domain"] = this.#options.originDomain;
    headers["accept"] = accept;
    headers["wire-origin-request-id"] = requestId;
    return headers;
  }

  /** A federated call: api-version on the target's brig, then `rpc` on `component` with the negotiated version. */
  async call(targetDomain: string, component: "brig" | "galley" | "cargohold", rpc: string, options: CallOptions = {}): Promise<WireCallResult> {
    const requestId = options.requestId ?? randomUUID();
    const versionPath = `/rpc/${encodeURIComponent(targetDomain)}/brig/api-version`;
    // Servant sends an empty Accept for the raw api-version request (defaultRequest has no accept types).
    const versionAnswer = await this.request(versionPath, this.#headers(requestId, "", undefined), Buffer.from("[]"));
    if (versionAnswer.status < 200 || versionAnswer.status > 299) {
      return { ok: false, stage: "api-version", response: versionAnswer, error: failureError(versionAnswer.status, targetDomain, "api-version", versionAnswer.body) };
    }
    const version = negotiateVersion(decode(versionAnswer.body));
    if (version === undefined) {
      return { ok: false, stage: "api-version", response: versionAnswer, error: { code: 533, label: "federation-version-error", message: "no common federation API version" } };
    }
    const path = `/rpc/${encodeURIComponent(targetDomain)}/${component}/${encodeURIComponent(rpc)}`;
    const body = Buffer.from(JSON.stringify(options.body ?? {}));
    const response = await this.request(path, this.#headers(requestId, "application/json;charset=utf-8,application/json", version), body);
    if (response.status < 200 || response.status > 299) return { ok: false, stage: "call", response, error: failureError(response.status, targetDomain, rpc, response.body) };
    return { ok: true, version, response, json: decode(response.body) };
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }
}
