// The internal server (brig, galley and cargohold call it): egress `POST /rpc/:domain/:component/:rpc`,
// plus `GET /i/status` and `GET /i/metrics`, over HTTP/1.1 and HTTP/2 prior knowledge on one port.
// No header of the caller is trusted for authorization.
import { SERVER_OPTIONS } from "./server-options.ts";
import { createServer, type Server } from "node:http";
import { addHttp2PriorKnowledge } from "./cleartext-server.ts";
import type { FederatorConfig } from "../lib/api/federator-config.ts";
import { canFederateWith } from "./authorization.ts";
import { declaredLength } from "./body.ts";
import { errorBody, logDetail, reasonOf, statusOf, type FederatorError } from "./errors.ts";
import { deadline } from "./deadline.ts";
import { http2ServerOptions } from "./http2-limits.ts";
import { UNKNOWN_DOMAIN } from "./metrics.ts";
import { callRemote } from "./remote.ts";
import { sendError, sendStream, sendText, type AnyRequest, type AnyResponse } from "./responses.ts";
import { parseInternalRoute } from "./routes.ts";
import type { Runtime } from "./runtime.ts";

function refuse(rt: Runtime, request: AnyRequest, response: AnyResponse, error: FederatorError, target: string | undefined): void {
  const status = statusOf(error);
  rt.metrics.outgoing.inc({ target_domain: target ?? UNKNOWN_DOMAIN, status: String(status) });
  if (error.kind === "SrvNotAvailable" || error.kind === "DiscoveryFailure") rt.metrics.discoveryFailures.inc({ domain: target ?? UNKNOWN_DOMAIN, reason: reasonOf(error) });
  if (error.kind === "RemoteTlsError") rt.metrics.tlsErrors.inc({ direction: "egress", domain: target ?? UNKNOWN_DOMAIN });
  rt.log.warn({ direction: "egress", domain: target, path: request.url, status, reason: reasonOf(error), message: errorBody(error).message, ...logDetail(error) }, "egress request refused");
  sendError(request, response, error);
}

function tooLarge(config: FederatorConfig, request: AnyRequest): FederatorError | undefined {
  const limit = config.limits.maxBodyBytes;
  const declared = declaredLength(request.headers);
  return declared !== undefined && declared > limit ? { kind: "RequestTooLarge", limit } : undefined;
}

async function egress(rt: Runtime, request: AnyRequest, response: AnyResponse): Promise<void> {
  const { config } = rt.snapshot();
  // 1. The request line: POST /rpc/:domain/:component/:rpc, no query string.
  const route = parseInternalRoute(request.method, request.url);
  if (!route.ok) return refuse(rt, request, response, route.error, undefined);
  const { targetDomain, component, rpc } = route.value;
  // 2. Strategy and allow list.
  const allowed = canFederateWith(config, targetDomain);
  if (!allowed.ok) return refuse(rt, request, response, allowed.error, targetDomain);
  rt.metrics.wireOutgoing.inc({ target_domain: targetDomain });
  // 3. A declared body beyond the limit is refused before any connection is made.
  const oversized = tooLarge(config, request);
  if (oversized !== undefined) return refuse(rt, request, response, oversized, targetDomain);
  // 4. Discovery, pooled mutual-TLS HTTP/2 session, request.
  const timer = rt.metrics.outgoingSeconds.startTimer({ target_domain: targetDomain });
  const result = await callRemote({ discovery: rt.discovery(), pool: rt.pool }, config, { targetDomain, component, rpc, headers: request.headers, body: request });
  timer();
  if (!result.ok) return refuse(rt, request, response, result.error, targetDomain);
  // 5. The remote's answer, streamed back as it arrives.
  rt.metrics.outgoing.inc({ target_domain: targetDomain, status: String(result.response.status) });
  await sendStream(request, response, result.response.status, result.response.headers, result.response.body);
}

async function handle(rt: Runtime, request: AnyRequest, response: AnyResponse): Promise<void> {
  if (request.method === "GET" && request.url === "/i/status") return sendText(request, response, 200, "text/plain", "ok");
  if (request.method === "GET" && request.url === "/i/metrics") {
    const registry = rt.metrics.registry;
    return sendText(request, response, 200, registry.contentType, await registry.metrics());
  }
  return egress(rt, request, response);
}

function handler(rt: Runtime) {
  return (request: AnyRequest, response: AnyResponse): void => {
    const seconds = rt.snapshot().config.limits.requestDeadlineSeconds;
    deadline(request, response, seconds * 1000, () => {
      if (!response.headersSent) refuse(rt, request, response, { kind: "RequestDeadline", seconds }, undefined);
    });
    handle(rt, request, response).catch((error: unknown) => {
      rt.log.error({ err: error, path: request.url }, "internal server failure");
      if (!response.headersSent) sendText(request, response, 500, "text/plain", "internal error");
      else response.destroy();
    });
  };
}

/** The internal listener: HTTP/1.1, and HTTP/2 prior knowledge as wire-server's components speak it. */
export function createInternalServer(rt: Runtime): Server {
  const { limits } = rt.snapshot().config;
  const server = createServer(SERVER_OPTIONS, handler(rt));
  server.maxConnections = limits.maxConnections;
  addHttp2PriorKnowledge(server, handler(rt), http2ServerOptions(limits));
  return server;
}
