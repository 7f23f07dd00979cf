// Pure parsing of the federator's request lines and routing headers (DESIGN §5.1).
// Anything not exactly `POST /rpc/:domain/:component/:rpc` or `POST /federation/:component/:rpc`
// without a query string is refused; a handler never sees a half-parsed request. Statuses as
// wire-server's Servant routes give them (services/federator/src/Federator/{Internal,External}Server.hs):
// another path shape 404, a capture that does not parse 400, a method other than POST or a query
// string 403 invalid-endpoint (Federator.Error.ServerError InvalidRoute).
import type { FederatorError } from "./errors.ts";

export const COMPONENTS = ["brig", "galley", "cargohold"] as const;
export type Component = (typeof COMPONENTS)[number];

const RPC = /^[A-Za-z0-9_-]+$/;
const DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FederatorError };

export interface InternalRoute {
  readonly targetDomain: string;
  readonly component: Component;
  readonly rpc: string;
}

export interface ExternalRoute {
  readonly component: Component;
  readonly rpc: string;
}

const invalidEndpoint: Parsed<never> = { ok: false, error: { kind: "InvalidEndpoint" } };
const notFound: Parsed<never> = { ok: false, error: { kind: "NotFound" } };

function isComponent(value: string): value is Component {
  return (COMPONENTS as readonly string[]).includes(value);
}

/** A backend domain as Wire accepts it: case-insensitive, stored lower-case, no trailing dot. */
export function parseDomain(text: string): Parsed<string> {
  const domain = text.trim().toLowerCase();
  if (domain.length === 0 || domain.length > 253 || !DOMAIN.test(domain)) {
    return { ok: false, error: { kind: "DomainParseError", domain: text } };
  }
  return { ok: true, value: domain };
}

interface RequestPath {
  readonly segments: readonly string[];
  readonly query: boolean;
}

/** Decoded path segments (one trailing empty segment dropped, as Servant does) and whether a query or fragment followed. */
function requestPath(url: string): RequestPath | undefined {
  if (!url.startsWith("/")) return undefined;
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  try {
    const segments = path.slice(1).split("/").map(decodeURIComponent);
    if (segments.length > 1 && segments.at(-1) === "") segments.pop();
    return { segments, query: end !== -1 };
  } catch {
    return undefined;
  }
}

function componentAndRpc(component: string, rpc: string): Parsed<ExternalRoute> {
  if (!isComponent(component)) return { ok: false, error: { kind: "UnknownComponent", component } };
  if (!RPC.test(rpc)) return { ok: false, error: { kind: "InvalidRpc", rpc } };
  return { ok: true, value: { component, rpc } };
}

/** The handler's own checks once the route matched: POST only, no query string. */
function methodAndQuery(method: string | undefined, path: RequestPath): Parsed<never> | undefined {
  return method !== "POST" || path.query ? invalidEndpoint : undefined;
}

/** `POST /rpc/:domain/:component/:rpc` on the internal port. */
export function parseInternalRoute(method: string | undefined, url: string | undefined): Parsed<InternalRoute> {
  const path = requestPath(url ?? "");
  if (path === undefined || path.segments.length !== 4 || path.segments[0] !== "rpc") return notFound;
  const [, domainText = "", component = "", rpc = ""] = path.segments;
  const domain = parseDomain(domainText);
  if (!domain.ok) return domain;
  const route = componentAndRpc(component, rpc);
  if (!route.ok) return route;
  const refused = methodAndQuery(method, path);
  if (refused !== undefined) return refused;
  return { ok: true, value: { targetDomain: domain.value, ...route.value } };
}

/** `POST /federation/:component/:rpc` on the external port. */
export function parseExternalRoute(method: string | undefined, url: string | undefined): Parsed<ExternalRoute> {
  const path = requestPath(url ?? "");
  if (path === undefined || path.segments.length !== 3 || path.segments[0] !== "federation") return notFound;
  const route = componentAndRpc(path.segments[1] ?? "", path.segments[2] ?? "");
  if (!route.ok) return route;
  return methodAndQuery(method, path) ?? route;
}

/** The `Wire-Origin-Domain` header: required, one value, a valid domain. */
export function parseOriginDomainHeader(value: string | readonly string[] | undefined): Parsed<string> {
  if (value === undefined) return { ok: false, error: { kind: "NoOriginDomain" } };
  if (typeof value !== "string") return { ok: false, error: { kind: "DomainParseError", domain: value.join(",") } };
  return parseDomain(value);
}

/** The path a remote federator serves an RPC at. */
export function federationPath(component: Component, rpc: string): string {
  return `/federation/${component}/${rpc}`;
}
