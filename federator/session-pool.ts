// Pooled HTTP/2 sessions over mutual TLS, at most `size` per remote target, so egress pays one TLS
// handshake per session rather than per request. Sessions carry the fingerprint of the TLS material
// they were opened with; new material drains the old sessions (in-flight streams finish, new ones
// go to fresh sessions).
import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from "node:http2";
import { connect as tlsConnect, createSecureContext, type SecureContext } from "node:tls";
import type { TlsMaterial } from "./config.ts";

export interface PoolTarget {
  /** The discovered host name: TLS server name and the name the remote certificate must carry. */
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

/** Where a connection failed: before TCP was up, during the TLS handshake, or in HTTP/2. */
export type FailurePhase = "connect" | "tls" | "http2";

export interface ConnectFailure {
  readonly phase: FailurePhase;
  readonly detail: string;
}

export type Acquired = { readonly ok: true; readonly session: ClientHttp2Session } | { readonly ok: false; readonly failure: ConnectFailure };

interface Entry {
  readonly fingerprint: string;
  readonly ready: Promise<Acquired>;
  readonly session: ClientHttp2Session;
  /** Streams opened through the pool and not yet closed. */
  streams: number;
  /** Out of the pool; closed as soon as its last stream ends. */
  draining: boolean;
}

export type Opened = { readonly ok: true; readonly stream: ClientHttp2Stream } | { readonly ok: false; readonly failure: ConnectFailure };

export interface SessionPoolOptions {
  readonly size: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs?: number;
  /** Called once per TLS connection opened, e.g. to count handshakes. */
  readonly onConnection?: (target: PoolTarget) => void;
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN"]);

/** OpenSSL and Node name TLS failures ERR_SSL_*, ERR_TLS_* or by the X.509 verify result. */
export function isTlsErrorCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return (
    code.startsWith("ERR_SSL_") ||
    code.startsWith("ERR_TLS_") ||
    /^(UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|INVALID_CA|PATH_LENGTH_|INVALID_PURPOSE|HOSTNAME_MISMATCH|ERR_OSSL_)/.test(code)
  );
}

/** Classifies an error by what it says first, by when it happened second. */
export function classifyFailure(error: unknown, phase: FailurePhase): ConnectFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const detail = code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
  if (isTlsErrorCode(code)) return { phase: "tls", detail };
  if (code !== undefined && CONNECTION_CODES.has(code)) return { phase: "connect", detail };
  return { phase, detail };
}

export class SessionPool {
  readonly #size: number;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #onConnection: ((target: PoolTarget) => void) | undefined;
  readonly #entries = new Map<string, Entry[]>();
  readonly #roundRobin = new Map<string, number>();
  #material: { readonly fingerprint: string; readonly context: SecureContext } | undefined;
  #closed = false;

  constructor(options: SessionPoolOptions) {
    this.#size = Math.max(1, options.size);
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#onConnection = options.onConnection;
  }

  /** Uses `tls` for new connections; sessions opened with other material are drained. */
  setTls(tls: TlsMaterial): void {
    if (this.#material?.fingerprint === tls.fingerprint) return;
    const context = createSecureContext({ cert: tls.certificateChainPem, key: tls.privateKeyPem, ca: [...tls.trustedCaPems] });
    this.#material = { fingerprint: tls.fingerprint, context };
    this.drain((entry) => entry.fingerprint !== tls.fingerprint);
  }

  /** Number of pooled sessions over all targets. */
  sessionCount(): number {
    let count = 0;
    for (const entries of this.#entries.values()) count += entries.length;
    return count;
  }

  /**
   * A new stream to `target` on a pooled session. A session is only closed once no stream of it
   * is open (closing earlier would make nghttp2 refuse streams not yet on the wire), and a session
   * that left the pool between being handed out and used is passed over for the next one.
   * `accept` vets the session (its server's certificate chain) before the stream is opened.
   */
  async request(target: PoolTarget, headers: OutgoingHttpHeaders, accept: (session: ClientHttp2Session) => ConnectFailure | undefined = () => undefined): Promise<Opened> {
    let lastFailure: ConnectFailure = { phase: "http2", detail: "no usable session" };
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = this.#acquire(target);
      if (entry === undefined) return { ok: false, failure: { phase: "connect", detail: "the federator has no TLS material" } };
      const acquired = await entry.ready;
      if (!acquired.ok) return acquired;
      if (entry.draining || isUnusable(entry.session)) continue;
      // Before any header leaves: the session may be to a server this request must not reach.
      const refused = accept(entry.session);
      if (refused !== undefined) return { ok: false, failure: refused };
      try {
        const stream = entry.session.request(headers);
        entry.streams++;
        stream.once("close", () => {
          entry.streams--;
          if (entry.draining && entry.streams === 0) entry.session.close();
        });
        return { ok: true, stream };
      } catch (error) {
        lastFailure = classifyFailure(error, "http2");
      }
    }
    return { ok: false, failure: lastFailure };
  }

  #acquire(target: PoolTarget): Entry | undefined {
    const material = this.#material;
    if (material === undefined || this.#closed) return undefined;
    const key = `${target.host}:${target.port}`;
    const entries = (this.#entries.get(key) ?? []).filter((e) => e.fingerprint === material.fingerprint && !isUnusable(e.session));
    this.#entries.set(key, entries);
    if (entries.length < this.#size) {
      const entry = this.#open(key, target, material);
      entries.push(entry);
      return entry;
    }
    const next = ((this.#roundRobin.get(key) ?? -1) + 1) % entries.length;
    this.#roundRobin.set(key, next);
    return entries[next];
  }

  /** Takes the matching sessions out of the pool; each closes once its open streams have ended. */
  drain(predicate: (entry: { fingerprint: string }) => boolean = () => true): void {
    for (const [key, entries] of this.#entries) {
      const keep = entries.filter((entry) => {
        if (!predicate(entry)) return true;
        entry.draining = true;
        void entry.ready.then((acquired) => acquired.ok && entry.streams === 0 && entry.session.close());
        return false;
      });
      this.#entries.set(key, keep);
    }
  }

  close(): void {
    this.#closed = true;
    this.drain();
  }

  #remove(key: string, entry: Entry): void {
    const entries = this.#entries.get(key);
    if (entries === undefined) return;
    const index = entries.indexOf(entry);
    if (index >= 0) entries.splice(index, 1);
  }

  #open(key: string, target: PoolTarget, material: { fingerprint: string; context: SecureContext }): Entry {
    let phase: FailurePhase = "connect";
    const socket = tlsConnect({
      host: target.address,
      port: target.port,
      servername: target.host,
      secureContext: material.context,
      ALPNProtocols: ["h2"],
      rejectUnauthorized: true,
    });
    socket.setNoDelay(true);
    socket.once("connect", () => (phase = "tls"));
    socket.once("secureConnect", () => (phase = "http2"));
    this.#onConnection?.(target);
    const session = http2Connect(`https://${target.host}:${target.port}`, { createConnection: () => socket });
    const ready = new Promise<Acquired>((resolve) => {
      const timer = setTimeout(() => {
        resolve({ ok: false, failure: { phase: phase === "http2" ? "http2" : "connect", detail: `no connection to ${key} within ${this.#connectTimeoutMs} ms` } });
        session.destroy();
      }, this.#connectTimeoutMs);
      const settle = (acquired: Acquired) => {
        clearTimeout(timer);
        resolve(acquired);
      };
      session.once("connect", () => settle({ ok: true, session }));
      session.on("error", (error) => settle({ ok: false, failure: classifyFailure(error, phase) }));
      session.once("close", () => settle({ ok: false, failure: { phase, detail: `the connection to ${key} closed` } }));
    });
    const entry: Entry = { fingerprint: material.fingerprint, session, ready, streams: 0, draining: false };
    session.once("close", () => this.#remove(key, entry));
    session.once("goaway", () => this.#remove(key, entry));
    // Idle means no frames at all for a while, so no stream of ours is open.
    session.setTimeout(this.#idleTimeoutMs, () => {
      entry.draining = true;
      this.#remove(key, entry);
      if (entry.streams === 0) session.close();
    });
    void ready.then((acquired) => {
      if (!acquired.ok) this.#remove(key, entry);
    });
    return entry;
  }
}

function isUnusable(session: ClientHttp2Session): boolean {
  return session.closed || session.destroyed;
}
