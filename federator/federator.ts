// Assembles a running federator from a first valid snapshot: both servers, discovery, the session
// pool, metrics; `apply` swaps in a new snapshot atomically (or rejects it and keeps the last good one).
import { getServers } from "node:dns";
import { Server as HttpsServer } from "node:https";
import type { Http2SecureServer, ServerHttp2Session } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createLogger, type Logger } from "../lib/log.ts";
import { CertificateHeaderCache } from "./client-certificate.ts";
import { ComponentClient } from "./component.ts";
import { stillIssuedByTrustedCA } from "./authorization.ts";
import { buildSnapshot, sourcesDigest, type Snapshot, type Sources, type TlsMaterial } from "./config.ts";
import { Discovery, getaddrinfo, parseHostPort, type DnsServer } from "./discovery.ts";
import { createExternalServer, createExternalTlsServer, updateExternalTls, updateHopTls, type AnyServer } from "./external-server.ts";
import { InFlight } from "./in-flight.ts";
import { TokenBucket } from "./token-bucket.ts";
import { createInternalServer } from "./internal-server.ts";
import { createMetrics, type FederatorMetrics } from "./metrics.ts";
import type { Runtime } from "./runtime.ts";
import { SessionPool } from "./session-pool.ts";

export type ReloadSource = "files" | "watch";

export interface FederatorOptions {
  readonly sources: Sources;
  /** `--internal`/`--external`: override `listen` of the file. */
  readonly listen?: { readonly internal?: string | undefined; readonly external?: string | undefined };
  /** HTTP/2 sessions per remote target (default 1: HTTP/2 multiplexes). */
  readonly poolSize?: number;
  readonly log?: Logger;
  readonly defaultMetrics?: boolean;
  /** Watch mode: how many watch requests the reloader made, for a metric. */
  readonly kubeWatchRequests?: () => number;
}

export interface Federator {
  readonly internalAddress: AddressInfo;
  readonly externalAddress: AddressInfo;
  readonly metrics: FederatorMetrics;
  readonly pool: SessionPool;
  readonly externalServer: AnyServer;
  snapshot(): Snapshot;
  /** Digest of the inputs in use (see sourcesDigest), to tell whether given inputs are applied. */
  digest(): string;
  /** Validates and applies new inputs; false (last good config kept) when they are invalid. */
  reload(sources: Sources, source: ReloadSource): boolean;
  /** Records inputs that could not even be read as a failed reload. */
  reject(reason: string, source: ReloadSource): void;
  /** Stops both servers; requests in flight get `graceMs` (default 0) to finish. */
  close(graceMs?: number): Promise<void>;
}

export class InvalidConfigurationError extends Error {
  override readonly name = "InvalidConfigurationError";
}

/** The DNS server to ask: the configured one, else the first resolver of the system. */
export function dnsServerOf(snapshot: Snapshot): DnsServer {
  if (snapshot.config.dns.server !== null) return parseHostPort(snapshot.config.dns.server);
  const system = getServers()[0] ?? "127.0.0.1";
  // getServers() writes a port only when it is not 53: "10.0.0.10", "::1", "10.0.0.10:5353", "[::1]:5353".
  return /^\[.+\]:\d+$|^[^:]+:\d+$/.test(system) ? parseHostPort(system) : { host: system, port: 53 };
}

/** Without a configured DNS server, target addresses come from the system resolver, as wire-server's do. */
export function discoveryFor(snapshot: Snapshot): Discovery {
  const server = dnsServerOf(snapshot);
  return snapshot.config.dns.server === null ? new Discovery({ server, systemLookup: getaddrinfo }) : new Discovery({ server });
}

const openSockets = new WeakMap<AnyServer, Set<Socket>>();
const openSessions = new WeakMap<AnyServer, Set<ServerHttp2Session>>();

function listenOn(server: AnyServer, address: string, onSession: (session: ServerHttp2Session) => void): Promise<AddressInfo> {
  const { host, port } = parseHostPort(address);
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const sessions = new Set<ServerHttp2Session>();
  openSessions.set(server, sessions);
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    onSession(session);
    session.once("close", () => sessions.delete(session));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then cuts what
 * is left. Idle keep-alive connections are closed at once so they do not hold the grace period.
 */
function closeServer(server: AnyServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      for (const socket of openSockets.get(server) ?? []) socket.destroy();
    }, graceMs);
    // HTTP/1.1 connections become idle one by one as their last response ends.
    const idle = setInterval(() => "closeIdleConnections" in server && server.closeIdleConnections(), 20);
    server.close(() => {
      clearTimeout(timer);
      clearInterval(idle);
      resolve();
    });
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    // HTTP/2 sessions get a GOAWAY: open streams finish, no new ones start.
    for (const session of openSessions.get(server) ?? []) session.close();
  });
}

/**
 * Passthrough sessions are verified once, at the handshake: after a CA bundle change, those whose
 * client certificate no CA of the new bundle issued get GOAWAY (their open streams finish, the
 * client reconnects and is verified again), so a removed CA stops vouching at once.
 */
function closeUntrustedSessions(sessions: ReadonlySet<ServerHttp2Session>, tls: TlsMaterial, log: Logger): void {
  let closed = 0;
  for (const session of sessions) {
    const leaf = (session.socket as TLSSocket).getPeerX509Certificate();
    if (leaf !== undefined && stillIssuedByTrustedCA(leaf, tls)) continue;
    session.close();
    closed++;
  }
  if (closed > 0) log.info({ sessions: closed }, "the new CA bundle no longer verifies these Passthrough clients: GOAWAY sent");
}

export async function startFederator(options: FederatorOptions): Promise<Federator> {
  const log = options.log ?? createLogger({ name: "federator" });
  const first = buildSnapshot(options.sources);
  if (!first.ok) throw new InvalidConfigurationError(first.reason);
  let snapshot = first.snapshot;
  let digest = sourcesDigest(options.sources);
  let rejectedDigest: string | undefined;
  let discovery = discoveryFor(snapshot);
  const metrics = createMetrics(() => snapshot.loadedAt, { defaultMetrics: options.defaultMetrics ?? false, ...(options.kubeWatchRequests === undefined ? {} : { kubeWatchRequests: options.kubeWatchRequests }) });
  const pool = new SessionPool({
    size: options.poolSize ?? 1,
    connectTimeoutMs: snapshot.config.limits.connectTimeoutSeconds * 1000,
    onConnection: (target) => metrics.tlsConnections.inc({ target: `${target.host}:${target.port}` }),
  });
  pool.setTls(snapshot.tls);
  let bucket: { burst: number; rate: number; tokens: TokenBucket } | undefined;
  const rt: Runtime = {
    snapshot: () => snapshot,
    discovery: () => discovery,
    pool,
    components: new ComponentClient(),
    certificates: new CertificateHeaderCache(),
    inFlight: new InFlight(),
    unlistedDiscovery: (config) => {
      const { unlistedDiscoveryBurst: burst, unlistedDiscoveryPerSecond: rate } = config.limits;
      if (bucket === undefined || bucket.burst !== burst || bucket.rate !== rate) bucket = { burst, rate, tokens: new TokenBucket(burst, rate, Date.now()) };
      return bucket.tokens.take(Date.now());
    },
    metrics,
    log,
  };
  const externalTLS = snapshot.config.listen.externalTLS;
  const internalServer = createInternalServer(rt);
  const externalServer = externalTLS ? createExternalTlsServer(rt) : createExternalServer(rt);
  const listen = { internal: options.listen?.internal ?? snapshot.config.listen.internal, external: options.listen?.external ?? snapshot.config.listen.external };
  const internalAddress = await listenOn(internalServer, listen.internal, () => undefined);
  // Passthrough sessions are verified once, at the handshake: a maximum age makes every client
  // reconnect (and be verified against the CA bundle of the day) now and then.
  const maxAge = (session: ServerHttp2Session): void => {
    const timer = setTimeout(() => session.close(), snapshot.config.limits.maxSessionAgeSeconds * 1000);
    timer.unref();
    session.once("close", () => clearTimeout(timer));
  };
  const externalAddress = await listenOn(externalServer, listen.external, externalTLS ? maxAge : () => undefined).catch(async (error: unknown) => {
    await closeServer(internalServer, 0);
    throw error;
  });
  const ingressHop = snapshot.tls.hop !== undefined;
  log.info({ internal: internalAddress, external: externalAddress, externalTLS, ingressHop, strategy: snapshot.config.strategy, remotes: snapshot.config.remotes.length }, "federator listening");
  if (!externalTLS && !ingressHop) log.warn({ header: snapshot.config.listen.clientCertificateHeader }, "listen.ingressHop is not set: any client that reaches the external port can set the certificate header; only an enforced NetworkPolicy keeps others out");

  function reject(reason: string, source: ReloadSource): void {
    metrics.reloads.inc({ result: "failure", source });
    log.error({ source, reason }, "configuration rejected; keeping the last good one");
  }

  function reload(sources: Sources, source: ReloadSource): boolean {
    const nextDigest = sourcesDigest(sources);
    if (nextDigest === digest) return true;
    // The same bad inputs seen again (a resync, a poll) are not a new failure.
    if (nextDigest === rejectedDigest) return false;
    const next = buildSnapshot(sources);
    if (!next.ok) {
      rejectedDigest = nextDigest;
      reject(next.reason, source);
      return false;
    }
    rejectedDigest = undefined;
    const previous = snapshot;
    const restartOnly = ["internal", "external", "externalTLS"] as const;
    const changed: string[] = restartOnly.filter((field) => previous.config.listen[field] !== next.snapshot.config.listen[field]);
    if ((next.snapshot.tls.hop !== undefined) !== ingressHop) changed.push("ingressHop");
    if (changed.length > 0) log.warn({ source, fields: changed.map((f) => `listen.${f}`) }, "listen settings change only on restart; keeping the current listeners");
    snapshot = next.snapshot;
    digest = nextDigest;
    if (previous.config.dns.server !== snapshot.config.dns.server) discovery = discoveryFor(snapshot);
    if (previous.tls.fingerprint !== snapshot.tls.fingerprint) {
      pool.setTls(snapshot.tls);
      if (externalTLS) {
        updateExternalTls(externalServer as Http2SecureServer, snapshot.tls);
        closeUntrustedSessions(openSessions.get(externalServer) ?? new Set(), snapshot.tls, log);
      }
      if (externalServer instanceof HttpsServer && snapshot.tls.hop !== undefined) updateHopTls(externalServer, snapshot.tls.hop);
    }
    metrics.reloads.inc({ result: "success", source });
    log.info(
      { source, strategy: snapshot.config.strategy, remotes: snapshot.config.remotes.length, tlsChanged: previous.tls.fingerprint !== snapshot.tls.fingerprint, certificateNotAfter: snapshot.tls.certificateNotAfter.toISOString() },
      "configuration reloaded",
    );
    return true;
  }

  async function close(graceMs = 0): Promise<void> {
    await Promise.all([closeServer(internalServer, graceMs), closeServer(externalServer, graceMs)]);
    pool.close();
    rt.components.close();
  }

  return { internalAddress, externalAddress, metrics, pool, externalServer, snapshot: () => snapshot, digest: () => digest, reload, reject, close };
}
