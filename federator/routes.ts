// Pure parsing of the federator's request lines and routing headers (DESIGN §5.1).
// Anything not exactly `POST /rpc/:domain/:component/:rpc` or `POST /federation/:component/:rpc`
// without a query string is refused; a handler never sees a half-parsed request.
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

/** Splits `url` into decoded path segments; refuses query strings, fragments and undecodable escapes. */
function pathSegments(url: string): readonly string[] | undefined {
  if (!url.startsWith("/") || url.includes("?") || url.includes("#")) return undefined;
  try {
    return url.slice(1).split("/").map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function componentAndRpc(component: string, rpc: string): Parsed<ExternalRoute> {
  if (!isComponent(component)) return { ok: false, error: { kind: "UnknownComponent", component } };
  if (!RPC.test(rpc)) return invalidEndpoint;
  return { ok: true, value: { component, rpc } };
}

/** `POST /rpc/:domain/:component/:rpc` on the internal port. */
export function parseInternalRoute(method: string | undefined, url: string | undefined): Parsed<InternalRoute> {
  const segments = pathSegments(url ?? "");
  if (segments === undefined || segments.length !== 4 || segments[0] !== "rpc") return invalidEndpoint;
  const [, domainText = "", component = "", rpc = ""] = segments;
  const domain = parseDomain(domainText);
  if (!domain.ok) return domain;
  const route = componentAndRpc(component, rpc);
  if (!route.ok) return route;
  if (method !== "POST") return invalidEndpoint;
  return { ok: true, value: { targetDomain: domain.value, ...route.value } };
}

/** `POST /federation/:component/:rpc` on the external port. */
export function parseExternalRoute(method: string | undefined, url: string | undefined): Parsed<ExternalRoute> {
  const segments = pathSegments(url ?? "");
  if (segments === undefined || segments.length !== 3 || segments[0] !== "federation") return invalidEndpoint;
  const route = componentAndRpc(segments[1] ?? "", segments[2] ?? "");
  if (!route.ok) return route;
  if (method !== "POST") return invalidEndpoint;
  return route;
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
