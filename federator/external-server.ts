// The external server (remote federators reach it through the Federation Ingress, or directly in
// Passthrough mode): ingress `POST /federation/:component/:rpc`. `/i/*` is deliberately not served.
import { SERVER_OPTIONS } from "./server-options.ts";
import { PASSTHROUGH_TLS_POLICY } from "./tls-policy.ts";
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import type { FederatorConfig } from "../lib/api/federator-config.ts";
import { declaredLength } from "./body.ts";
import { canFederateWith, certificateMatchesAnyHost, issuedForOrigin, remoteFor } from "./authorization.ts";
import { certificateFromTlsSession, validNow, type CertificateResult } from "./client-certificate.ts";
import type { HopSources, TlsMaterial } from "./config.ts";
import { errorBody, logDetail, reasonOf, statusOf, type FederatorError } from "./errors.ts";
import { deadline, whenClosed } from "./deadline.ts";
import { http2ServerOptions } from "./http2-limits.ts";
import { UNKNOWN_DOMAIN, UNLISTED_DOMAIN } from "./metrics.ts";
import { sendError, sendStream, sendText, type AnyRequest, type AnyResponse } from "./responses.ts";
import { originRequestId } from "./remote.ts";
import { parseExternalRoute, parseOriginDomainHeader } from "./routes.ts";
import type { Runtime } from "./runtime.ts";

/** Any of the federator's listeners. */
export type AnyServer = Server | HttpsServer | Http2SecureServer;

/** Whether the client certificate comes from nginx's header or from our own TLS session. */
export type CertificateSource = "header" | "tls";

/**
 * Answers with `error`, logs it once and counts it. `origin` labels metrics only once it is on the
 * allow list (else anyone could mint label values); the log names whatever origin was claimed.
 */
function refuse(rt: Runtime, request: AnyRequest, response: AnyResponse, error: FederatorError, claimedOrigin: string | undefined): void {
  const status = statusOf(error);
  const origin = claimedOrigin === undefined ? undefined : originLabel(rt.snapshot().config, claimedOrigin);
  rt.metrics.incoming.inc({ origin_domain: origin ?? UNKNOWN_DOMAIN, status: String(status) });
  if (error.kind === "SrvNotAvailable" || error.kind === "DiscoveryFailure") rt.metrics.discoveryFailures.inc({ domain: origin ?? UNKNOWN_DOMAIN, reason: reasonOf(error) });
  const claimed = header(request, "wire-origin-domain");
  rt.log.warn({ direction: "ingress", domain: origin ?? claimed, path: request.url, status, reason: reasonOf(error), message: errorBody(error).message, ...logDetail(error) }, "ingress request refused");
  sendError(request, response, error);
}

/** The metric label of an origin: its domain when listed as a remote, else one shared value. */
function originLabel(config: FederatorConfig, origin: string): string {
  return remoteFor(config, origin) === undefined ? UNLISTED_DOMAIN : origin;
}

function header(request: AnyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

/** The remote's IP: the TCP peer in Passthrough mode, else the address nginx appended to X-Forwarded-For. */
export function originIp(source: CertificateSource, forwardedFor: string | undefined, peerAddress: string | undefined): string | undefined {
  // The last X-Forwarded-For entry is the one nginx appended; earlier ones come from the client.
  const candidates = source === "tls" ? [peerAddress ?? ""] : (forwardedFor ?? "").split(",").slice(-1);
  for (const candidate of candidates) {
    const trimmed = candidate.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
    const withoutPort = /^\[([^\]]+)\](:\d+)?$/.exec(trimmed)?.[1] ?? (/^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(trimmed)?.[1] ?? trimmed);
    if (isIP(withoutPort) !== 0) return withoutPort;
  }
  return undefined;
}

/** Parsed peer certificates per TLS connection: an HTTP/2 session carries many requests. */
const sessionCertificates = new WeakMap<object, CertificateResult>();

function tlsSocketOf(request: AnyRequest): TLSSocket {
  // HTTP/2 requests expose the connection through their session; HTTP/1.1 ones directly.
  return ("stream" in request ? request.stream.session?.socket : request.socket) as TLSSocket;
}

function clientCertificate(rt: Runtime, config: FederatorConfig, request: AnyRequest, source: CertificateSource): CertificateResult {
  if (source === "header") {
    // Only the header the ingress controller sets and overwrites: any other is the client's own text.
    const header = config.listen.clientCertificateHeader;
    return rt.certificates.parse(header, request.headers[header.toLowerCase()]);
  }
  const socket = tlsSocketOf(request);
  const cached = sessionCertificates.get(socket);
  if (cached !== undefined) return cached;
  const parsed = certificateFromTlsSession(socket.getPeerX509Certificate?.());
  sessionCertificates.set(socket, parsed);
  return parsed;
}

/** The host names the origin may present: its pinned infraDomain, else every SRV target. */
async function expectedHosts(rt: Runtime, config: FederatorConfig, origin: string): Promise<{ ok: true; hosts: readonly string[] } | { ok: false; error: FederatorError }> {
  const pin = remoteFor(config, origin)?.infraDomain ?? null;
  if (pin !== null) return { ok: true, hosts: [pin] };
  // Origins nobody listed (AllowAll) share one budget of DNS queries.
  const discovered = await rt.discovery().discover(origin, () => rt.unlistedDiscovery(config));
  if (!discovered.ok) return discovered;
  return { ok: true, hosts: discovered.targets.map((t) => t.host) };
}

/**
 * What the component learns, as Federator.Service sends it: `Content-Type: application/json`
 * always (a wire-server remote sends none), the origin domain, the trace id as `Request-Id`, the
 * API version and the origin's IP; plus the body's length.
 */
function componentHeaders(request: AnyRequest, source: CertificateSource, origin: string, declared: number | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    "content-type": "application/json",
    "wire-origin-domain": origin,
    "request-id": originRequestId(request.headers),
  };
  const version = header(request, "x-wire-api-version");
  if (version !== undefined) headers["x-wire-api-version"] = version;
  // remoteAddress is a getter that asks the kernel; only Passthrough mode needs it.
  const ip = originIp(source, header(request, "x-forwarded-for"), source === "tls" ? request.socket.remoteAddress : undefined);
  if (ip !== undefined) headers["wire-origin-ip"] = ip;
  if (declared !== undefined) headers["content-length"] = String(declared);
  return headers;
}

function answerHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const answer: Record<string, string> = {};
  const contentType = headers["content-type"];
  if (contentType !== undefined) answer["content-type"] = contentType;
  const length = declaredLength(headers);
  if (length !== undefined) answer["content-length"] = String(length);
  return answer;
}

async function ingress(rt: Runtime, request: AnyRequest, response: AnyResponse, source: CertificateSource): Promise<void> {
  const { config, tls } = rt.snapshot();
  // 1. The request line: POST /federation/:component/:rpc, no query string.
  const route = parseExternalRoute(request.method, request.url);
  if (!route.ok) return refuse(rt, request, response, route.error, undefined);
  // 2. The origin domain and the client certificate.
  const origin = parseOriginDomainHeader(request.headers["wire-origin-domain"]);
  if (!origin.ok) return refuse(rt, request, response, origin.error, undefined);
  const certificate = clientCertificate(rt, config, request, source);
  if (!certificate.ok) return refuse(rt, request, response, certificate.error, undefined);
  const current = validNow(certificate.certificate, Date.now());
  if (!current.ok) return refuse(rt, request, response, current.error, undefined);
  // 3. Strategy and allow list.
  const allowed = canFederateWith(config, origin.value);
  if (!allowed.ok) return refuse(rt, request, response, allowed.error, undefined);
  rt.metrics.wireIncoming.inc({ origin_domain: originLabel(config, origin.value) });
  // 4. Discovery of the origin's federator host names; one must be a name of the certificate.
  const hosts = await expectedHosts(rt, config, origin.value);
  if (!hosts.ok) return refuse(rt, request, response, hosts.error, origin.value);
  const authenticated = certificateMatchesAnyHost(certificate.certificate.dnsNames, hosts.hosts);
  if (!authenticated.ok) return refuse(rt, request, response, authenticated.error, origin.value);
  const remote = remoteFor(config, origin.value);
  // One origin's slow requests may not take every connection to the components.
  const release = rt.inFlight.acquire(remote === undefined ? UNLISTED_DOMAIN : origin.value, config.limits.maxInFlightPerOrigin);
  if (release === undefined) return refuse(rt, request, response, { kind: "TooManyInFlight", limit: config.limits.maxInFlightPerOrigin }, origin.value);
  whenClosed(request, response, release);
  const bound = issuedForOrigin(certificate.certificate.x509, origin.value, config, tls);
  if (!bound.ok) return refuse(rt, request, response, bound.error, origin.value);
  // 5. Forward to the component.
  const declared = declaredLength(request.headers);
  if (declared !== undefined && declared > config.limits.maxBodyBytes) return refuse(rt, request, response, { kind: "RequestTooLarge", limit: config.limits.maxBodyBytes }, origin.value);
  const result = await rt.components.call({
    component: route.value.component,
    baseUrl: config.services[route.value.component],
    rpc: route.value.rpc,
    headers: componentHeaders(request, source, origin.value, declared),
    body: request,
    timeoutMs: config.limits.requestTimeoutSeconds * 1000,
    maxBodyBytes: config.limits.maxBodyBytes,
  });
  if (!result.ok) return refuse(rt, request, response, result.error, origin.value);
  // 6. The component's answer: status, Content-Type and body (Wire passes nothing else back), and
  // its Content-Length, so that every hop back frames the body as brig did instead of re-chunking it.
  const status = result.response.statusCode ?? 502;
  rt.metrics.incoming.inc({ origin_domain: originLabel(config, origin.value), status: String(status) });
  await sendStream(request, response, status, answerHeaders(result.response.headers), result.response);
}

function handler(rt: Runtime, source: CertificateSource) {
  return (request: AnyRequest, response: AnyResponse): void => {
    const seconds = rt.snapshot().config.limits.requestDeadlineSeconds;
    deadline(request, response, seconds * 1000, () => {
      if (!response.headersSent) refuse(rt, request, response, { kind: "RequestDeadline", seconds }, undefined);
    });
    ingress(rt, request, response, source).catch((error: unknown) => {
      rt.log.error({ err: error, path: request.url }, "external server failure");
      if (!response.headersSent) sendText(request, response, 500, "text/plain", "internal error");
      else (response as { destroy(): void }).destroy();
    });
  };
}

/** The ingress hop's TLS: our hop certificate, and only clients the hop CA issued a certificate to. */
function hopOptions(hop: HopSources) {
  return { cert: hop.certificatePem, key: hop.privateKeyPem, ca: hop.caPem, ...PASSTHROUGH_TLS_POLICY };
}

/**
 * Behind the Federation Ingress: HTTP/1.1, the certificate from the configured controller's header.
 * With listen.ingressHop, over TLS that only the controller's client certificate passes: the header
 * is then the controller's word, not that of whoever reached the port.
 */
export function createExternalServer(rt: Runtime): Server | HttpsServer {
  const { config, tls } = rt.snapshot();
  const server =
    tls.hop === undefined
      ? createServer(SERVER_OPTIONS, handler(rt, "header"))
      : createHttpsServer({ ...SERVER_OPTIONS, ...hopOptions(tls.hop), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ["http/1.1"], handshakeTimeout: config.limits.handshakeTimeoutSeconds * 1000 }, handler(rt, "header"));
  server.maxConnections = config.limits.maxConnections;
  if (server instanceof HttpsServer) {
    server.on("tlsClientError", (error, socket) => {
      rt.metrics.tlsErrors.inc({ direction: "ingress-hop", domain: UNKNOWN_DOMAIN });
      rt.log.warn({ direction: "ingress", reason: "ingress-hop-tls", message: error.message, peer: socket.remoteAddress }, "external port: a client without the ingress controller's certificate was refused");
    });
  }
  return server;
}

/** New hop material for new connections; the controller's open connections keep theirs. */
export function updateHopTls(server: HttpsServer, hop: HopSources): void {
  server.setSecureContext(hopOptions(hop));
}

function tlsOptions(tls: TlsMaterial) {
  return { cert: tls.certificateChainPem, key: tls.privateKeyPem, ca: [...tls.trustedCaPems], ...PASSTHROUGH_TLS_POLICY };
}

/**
 * Passthrough mode: the federator terminates mutual TLS itself (HTTP/2, or HTTP/1.1 for old
 * clients), verifying the client against the CA bundle; the certificate comes from the session.
 */
export function createExternalTlsServer(rt: Runtime): Http2SecureServer {
  const { limits } = rt.snapshot().config;
  const server = createSecureServer(
    {
      ...tlsOptions(rt.snapshot().tls),
      ...http2ServerOptions(limits),
      allowHTTP1: true,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ["h2", "http/1.1"],
      handshakeTimeout: limits.handshakeTimeoutSeconds * 1000,
    },
    handler(rt, "tls"),
  );
  server.maxConnections = limits.maxConnections;
  server.on("tlsClientError", (error, socket) => {
    rt.metrics.tlsErrors.inc({ direction: "ingress", domain: UNKNOWN_DOMAIN });
    rt.log.warn({ direction: "ingress", reason: "tls-handshake", message: error.message, peer: socket.remoteAddress }, "ingress TLS handshake refused");
  });
  return server;
}

/** New TLS material for new ingress connections; established sessions keep theirs. */
export function updateExternalTls(server: Http2SecureServer, tls: TlsMaterial): void {
  server.setSecureContext(tlsOptions(tls));
}
