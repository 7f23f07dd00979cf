// The error catalogue: every way the federator refuses or fails a request, with wire-server's
// status, label and message (Federator.Validation, Federator.Discovery, Federator.Error.ServerError,
// Wire.API.Federation.Error), so brig, galley and cargohold interpret our errors unchanged.

export type FederatorError =
  | { readonly kind: "InvalidEndpoint" }
  | { readonly kind: "NotFound" }
  | { readonly kind: "InvalidRpc"; readonly rpc: string }
  | { readonly kind: "UnknownComponent"; readonly component: string }
  | { readonly kind: "NoOriginDomain" }
  | { readonly kind: "NoClientCertificate" }
  | { readonly kind: "CertificateParseError"; readonly reason: string }
  | { readonly kind: "DomainParseError"; readonly domain: string }
  | { readonly kind: "AuthenticationFailure"; readonly hostnames: readonly string[]; readonly certificateNames: readonly string[] }
  | {
      readonly kind: "NotIssuedByRemoteCA";
      readonly domain: string;
      readonly subject: string;
      readonly issuer: string;
      /** Whether the origin has CAs of its own (a caBundle); without, only CAs of no peer vouch for it. */
      readonly ownCAs: boolean;
      readonly issuerTrustedForOthers: boolean;
      /** The peers whose CA issued the certificate (origins without own CAs). */
      readonly issuerPeers: readonly string[];
    }
  | { readonly kind: "FederationDenied"; readonly domain: string }
  | { readonly kind: "SrvNotAvailable"; readonly srvName: string }
  | { readonly kind: "DiscoveryFailure"; readonly srvName: string; readonly detail: string }
  | { readonly kind: "RemoteTlsError"; readonly target: string; readonly path: string; readonly detail: string }
  | { readonly kind: "RemoteConnectionRefused"; readonly target: string; readonly path: string; readonly detail: string }
  | { readonly kind: "RemoteHttp2Error"; readonly target: string; readonly path: string; readonly detail: string }
  | { readonly kind: "RemoteErrorResponse"; readonly target: string; readonly path: string; readonly status: number; readonly body: Buffer }
  | { readonly kind: "RequestTooLarge"; readonly limit: number }
  | { readonly kind: "RequestAborted" }
  | { readonly kind: "DiscoveryRateLimited"; readonly srvName: string }
  | { readonly kind: "RemoteTargetRefused"; readonly target: string; readonly path: string; readonly address: string }
  | { readonly kind: "RequestDeadline"; readonly seconds: number }
  | { readonly kind: "TooManyInFlight"; readonly limit: number }
  | { readonly kind: "CertificateNotValidNow"; readonly subject: string; readonly notBefore: Date; readonly notAfter: Date }
  | { readonly kind: "ComponentUnavailable"; readonly component: string; readonly detail: string };

export type ErrorKind = FederatorError["kind"];

/** The JSON body of an error, as wai-utilities' `Network.Wai.Utilities.Error` encodes it. */
export interface WireErrorBody {
  readonly code: number;
  readonly label: string;
  readonly message: string;
  readonly data?: { readonly type: "federation"; readonly domain: string; readonly path: string };
  readonly inner?: WireErrorBody;
}

interface CatalogueEntry<K extends ErrorKind> {
  readonly status: number;
  readonly label: string;
  readonly message: (error: Extract<FederatorError, { kind: K }>) => string;
}

type Catalogue = { readonly [K in ErrorKind]: CatalogueEntry<K> };

export const CATALOGUE: Catalogue = {
  InvalidEndpoint: { status: 403, label: "invalid-endpoint", message: () => "The requested endpoint does not exist" },
  // Servant answers these before any handler runs: 404 for no route, 400 for a capture or a
  // required header that does not parse (its body is plain text; ours stays Wire's JSON).
  NotFound: { status: 404, label: "not-found", message: () => "The requested endpoint does not exist" },
  InvalidRpc: { status: 400, label: "invalid-endpoint", message: (e) => `invalid rpc name: ${e.rpc}` },
  UnknownComponent: { status: 400, label: "unknown-component", message: (e) => `No such component: ${e.component}` },
  NoOriginDomain: { status: 400, label: "no-origin-domain", message: () => "No Wire-Origin-Domain header" },
  NoClientCertificate: { status: 400, label: "no-client-certificate", message: () => "no client certificate provided" },
  CertificateParseError: { status: 400, label: "certificate-parse-error", message: (e) => `certificate parse failure: ${e.reason}` },
  DomainParseError: { status: 400, label: "domain-parse-error", message: (e) => `domain parse failure for [${e.domain}]` },
  AuthenticationFailure: {
    status: 403,
    label: "authentication-failure",
    message: (e) =>
      `none of the domain names match the certificate, errors: discovered [${e.hostnames.join(", ")}], certificate names [${e.certificateNames.join(", ")}]`,
  },
  NotIssuedByRemoteCA: {
    status: 403,
    label: "authentication-failure",
    message: (e) => {
      if (!e.ownCAs)
        return e.issuerPeers.length > 0
          ? `the client certificate [${e.subject}] is issued by [${e.issuer}], a CA of the FederationPeer for [${e.issuerPeers.join(", ")}]: a peer's CA vouches only for that peer, and [${e.domain}] has no caBundle; if [${e.issuer}] is really ${e.domain}'s, add it to the caBundle of the FederationPeer for ${e.domain}`
          : `the client certificate [${e.subject}] is issued by [${e.issuer}], which is neither in trust.extraCABundle nor in the system CA store; [${e.domain}] has no caBundle: add the CA that issued it (the intermediate, if there is one) to the caBundle of the FederationPeer for ${e.domain}, or to trust.extraCABundle`;
      return e.issuerTrustedForOthers
        ? `the client certificate [${e.subject}] is issued by [${e.issuer}], a CA trusted for another peer or trust.extraCABundle, not by a CA of [${e.domain}]: another CA may not vouch for [${e.domain}]; if [${e.issuer}] is really ${e.domain}'s, add it to the caBundle of the FederationPeer for ${e.domain}`
        : `the client certificate [${e.subject}] is not issued by a CA of [${e.domain}]: its issuer [${e.issuer}] is in no caBundle; if it is ${e.domain}'s intermediate CA, add [${e.issuer}] to the caBundle of the FederationPeer for ${e.domain}`;
    },
  },
  CertificateNotValidNow: {
    status: 403,
    label: "authentication-failure",
    message: (e) => `the client certificate [${e.subject}] is valid from ${e.notBefore.toISOString()} to ${e.notAfter.toISOString()}, not now`,
  },
  // 400, not 403: the cause may be wrong input in the original request, so the client should see it.
  FederationDenied: { status: 400, label: "federation-denied", message: (e) => `origin domain [${e.domain}] not in the federation allow list` },
  SrvNotAvailable: { status: 422, label: "invalid-domain", message: (e) => `srv record not found: ${e.srvName}` },
  DiscoveryRateLimited: { status: 503, label: "too-many-requests", message: () => "too many discoveries of unlisted origins; retry later" },
  DiscoveryFailure: { status: 400, label: "discovery-failure", message: (e) => `DNS error: ${e.srvName}` },
  RemoteTlsError: { status: 525, label: "federation-tls-error", message: (e) => e.detail },
  RemoteConnectionRefused: { status: 521, label: "federation-connection-refused", message: (e) => e.detail },
  RemoteHttp2Error: { status: 533, label: "federation-http2-error", message: (e) => e.detail },
  RemoteErrorResponse: { status: 533, label: "federation-remote-error", message: (e) => `A remote federator failed with status code: ${e.status}` },
  RequestTooLarge: { status: 413, label: "request-too-large", message: (e) => `the request body exceeds the limit of ${e.limit} bytes` },
  // The client is gone; the answer is for logs and metrics (nginx calls this 499).
  RequestAborted: { status: 400, label: "request-aborted", message: () => "the client aborted the request before its body was complete" },
  RequestDeadline: { status: 408, label: "request-timeout", message: (e) => `the request did not complete within ${e.seconds} s` },
  TooManyInFlight: { status: 503, label: "too-many-requests", message: (e) => `more than ${e.limit} requests from this origin are in flight; retry later` },
  // Sent to the remote: the detail (our component's address and the socket error) is logged only.
  ComponentUnavailable: { status: 500, label: "server-error", message: (e) => `the local ${e.component} could not be reached` },
  // The address stays in the log: echoing it would tell whoever set the DNS record what we tried.
  RemoteTargetRefused: {
    status: 521,
    label: "federation-connection-refused",
    message: (e) => `refused to connect to ${e.target}: it resolves to a loopback, link-local or private address (set spec.federator.dns.allowPrivateTargets to allow)`,
  },
};

/** HTTP reason phrases of the non-standard statuses, as wire-server sends them. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  521: "Remote Federator Connection Refused",
  525: "SSL Handshake Failure",
  533: "Unexpected Federation Response",
};

function entryOf<K extends ErrorKind>(error: Extract<FederatorError, { kind: K }>): CatalogueEntry<K> {
  return CATALOGUE[error.kind as K];
}

export function statusOf(error: FederatorError): number {
  return CATALOGUE[error.kind].status;
}

/** The remote's own error, when it sent one; otherwise its body as the message of an `unknown-error`. */
function innerError(status: number, body: Buffer): WireErrorBody {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (isWireErrorBody(parsed)) return parsed;
  } catch {
    // not JSON: fall through to unknown-error
  }
  return { code: status, label: "unknown-error", message: body.toString("utf8") };
}

export function isWireErrorBody(value: unknown): value is WireErrorBody {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["code"] === "number" && typeof v["label"] === "string" && typeof v["message"] === "string";
}

export function errorBody(error: FederatorError): WireErrorBody {
  const entry = entryOf(error);
  const base = { code: entry.status, label: entry.label, message: entry.message(error) };
  switch (error.kind) {
    case "RemoteTlsError":
    case "RemoteTargetRefused":
    case "RemoteConnectionRefused":
    case "RemoteHttp2Error":
      return { ...base, data: { type: "federation", domain: error.target, path: error.path } };
    case "RemoteErrorResponse":
      return { ...base, data: { type: "federation", domain: error.target, path: error.path }, inner: innerError(error.status, error.body) };
    default:
      return base;
  }
}

/** A short reason for logs and metrics; never includes certificate or body contents. */
export function reasonOf(error: FederatorError): string {
  return CATALOGUE[error.kind].label;
}

/** What the log gets beyond the answer's message: details the answer must not echo. */
export function logDetail(error: FederatorError): { readonly detail?: string; readonly address?: string } {
  if (error.kind === "ComponentUnavailable") return { detail: error.detail };
  if (error.kind === "RemoteTargetRefused") return { address: error.address };
  return {};
}
