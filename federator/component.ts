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

/** `base` + `/federation/<rpc>`, keeping any path prefix of the base URL. */
export function componentUrl(base: string, rpc: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/federation/${rpc}`;
  return url;
}

export class ComponentClient {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  async call(request: ComponentRequest): Promise<ComponentResult> {
    const url = componentUrl(request.baseUrl, request.rpc);
    const https = url.protocol === "https:";
    const outgoing = (https ? httpsRequest : httpRequest)(url, {
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
