// Forwards an authorized inbound request to brig, galley or cargohold over HTTP/1.1 keep-alive
// (Wire's Federator.Service): `POST <component-url>/federation/<rpc>`.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import type { FederatorError } from "./errors.ts";
import type { Component } from "./routes.ts";
import { declaredLength, sendBody } from "./body.ts";

export interface ComponentRequest {
  readonly component: Component;
  readonly baseUrl: string;
  readonly rpc: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Readable;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
}

export type ComponentResult = { readonly ok: true; readonly response: IncomingMessage } | { readonly ok: false; readonly error: FederatorError };

/** Where a component's base URL points, parsed once per URL rather than once per request. */
export interface ComponentTarget {
  readonly https: boolean;
  readonly hostname: string;
  readonly port: number;
  /** The base URL's path without trailing slashes, followed by `/federation/`. */
  readonly pathPrefix: string;
}

const targets = new Map<string, ComponentTarget>();

export function componentTarget(base: string): ComponentTarget {
  const known = targets.get(base);
  if (known !== undefined) return known;
  const url = new URL(base);
  const https = url.protocol === "https:";
  const target = {
    https,
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? (https ? 443 : 80) : Number(url.port),
    pathPrefix: `${url.pathname.replace(/\/+$/, "")}/federation/`,
  };
  // A reload may bring new URLs; the three components' current ones are all that is worth keeping.
  if (targets.size >= 16) targets.clear();
  targets.set(base, target);
  return target;
}

export class ComponentClient {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  async call(request: ComponentRequest): Promise<ComponentResult> {
    const { https, hostname, port, pathPrefix } = componentTarget(request.baseUrl);
    const outgoing = (https ? httpsRequest : httpRequest)({
      hostname,
      port,
      path: pathPrefix + request.rpc,
      method: "POST",
      headers: request.headers,
      agent: https ? this.#https : this.#http,
      timeout: request.timeoutMs,
    });
    outgoing.once("timeout", () => outgoing.destroy(new Error(`no response within ${request.timeoutMs} ms`)));
    const body = sendBody(request.body, outgoing, request.maxBodyBytes, declaredLength(request.headers), (error) => outgoing.destroy(error));
    const response = await new Promise<{ ok: true; response: IncomingMessage } | { ok: false; error: unknown }>((resolve) => {
      outgoing.once("response", (response) => resolve({ ok: true, response }));
      outgoing.once("error", (error) => resolve({ ok: false, error }));
    });
    if (body.exceeded()) {
      outgoing.destroy();
      return { ok: false, error: { kind: "RequestTooLarge", limit: request.maxBodyBytes } };
    }
    if (!response.ok) {
      const detail = response.error instanceof Error ? response.error.message : String(response.error);
      return { ok: false, error: { kind: "ComponentUnavailable", component: request.component, detail } };
    }
    return response;
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
