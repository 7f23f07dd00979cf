// SRV discovery of `_wire-server-federator._tcp.<domain>` and address lookup of the targets, asked
// directly of one DNS server over UDP (dns-packet), and over TCP when the UDP answer is truncated,
// so the answers' TTLs are known and honoured by a bounded cache. Node's dns.resolveSrv hides TTLs,
// hence no use of it. Without a configured DNS server, target addresses come from the system
// resolver (hosts file, search rules), as wire-server's HTTP/2 client connects to the SRV target by name.
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { lookup as systemLookup } from "node:dns/promises";
import { connect as tcpConnect, isIP } from "node:net";
import * as dnsPacket from "dns-packet";
import type { FederatorError } from "./errors.ts";

export interface SrvTarget {
  /** Host name without trailing dot. */
  readonly host: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export type SrvResult = { readonly ok: true; readonly targets: readonly SrvTarget[] } | { readonly ok: false; readonly error: FederatorError };
/** No address is not a discovery error in wire-server: connecting to the SRV target fails (521). */
export type AddressResult = { readonly ok: true; readonly address: string } | { readonly ok: false; readonly detail: string };

export type SystemLookup = (host: string) => Promise<string>;

export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

export interface DiscoveryOptions {
  readonly server: DnsServer;
  readonly timeoutMs?: number;
  readonly attempts?: number;
  readonly maxEntries?: number;
  /** Upper bound of any TTL, so a misconfigured zone cannot pin a stale answer for days. */
  readonly maxTtlSeconds?: number;
  /** How long "no such record" is remembered when the answer carries no SOA. */
  readonly negativeTtlSeconds?: number;
  readonly now?: () => number;
  /** Resolve target addresses with this (the system resolver) instead of asking `server`. */
  readonly systemLookup?: SystemLookup;
  /** How long a system resolver answer is remembered (getaddrinfo gives no TTL). */
  readonly systemTtlSeconds?: number;
}

/** getaddrinfo, as the pod's resolver answers: /etc/hosts, search domains, IPv4 first. */
export const getaddrinfo: SystemLookup = async (host) => (await systemLookup(host, { family: 0, order: "ipv4first" })).address;

type Lookup = { readonly ok: true; readonly answers: readonly dnsPacket.Answer[]; readonly ttl: number } | { readonly ok: false; readonly reason: "NotFound" | "Error"; readonly detail: string; readonly ttl: number };

export function srvName(domain: string): string {
  return `_wire-server-federator._tcp.${domain}`;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseHostPort(text: string): DnsServer {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (match === null) throw new RangeError(`expected host:port, got ${text}`);
  return { host: match[1] ?? "", port: Number(match[2]) };
}

function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** RFC 2782 order: lowest priority first, then heavier weight first; "." means "no service". */
export function orderTargets(answers: readonly dnsPacket.Answer[]): readonly SrvTarget[] {
  return answers
    .filter((a): a is dnsPacket.SrvAnswer => a.type === "SRV")
    .map((a) => ({ host: stripDot(a.data.target), port: a.data.port, priority: a.data.priority ?? 0, weight: a.data.weight ?? 0 }))
    .filter((t) => t.host !== "")
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight);
}

export class Discovery {
  readonly server: DnsServer;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #maxEntries: number;
  readonly #maxTtl: number;
  readonly #negativeTtl: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { expires: number; lookup: Promise<Lookup> }>();
  readonly #systemLookup: SystemLookup | undefined;
  readonly #systemTtl: number;
  readonly #systemCache = new Map<string, { expires: number; result: Promise<AddressResult> }>();

  constructor(options: DiscoveryOptions) {
    this.server = options.server;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#attempts = options.attempts ?? 2;
    this.#maxEntries = options.maxEntries ?? 4096;
    this.#maxTtl = options.maxTtlSeconds ?? 3600;
    this.#negativeTtl = options.negativeTtlSeconds ?? 5;
    this.#now = options.now ?? Date.now;
    this.#systemLookup = options.systemLookup;
    this.#systemTtl = options.systemTtlSeconds ?? 5;
  }

  /**
   * All federator targets of `domain`, in RFC 2782 order. `admit`, when given, is asked before a
   * query that the cache cannot answer (rate-limiting origins nobody listed); refused, no query.
   */
  async discover(domain: string, admit?: () => boolean): Promise<SrvResult> {
    const name = srvName(domain);
    if (admit !== undefined && !this.#isCached(name, "SRV") && !admit()) return { ok: false, error: { kind: "DiscoveryRateLimited", srvName: name } };
    const lookup = await this.#cached(name, "SRV");
    if (!lookup.ok) return { ok: false, error: lookupError(lookup, name) };
    const targets = orderTargets(lookup.answers);
    if (targets.length === 0) return { ok: false, error: { kind: "SrvNotAvailable", srvName: name } };
    return { ok: true, targets };
  }

  /** An IPv4 (else IPv6) address of a target host; literal addresses are returned as they are. */
  async address(host: string): Promise<AddressResult> {
    if (isIP(host) !== 0) return { ok: true, address: host };
    if (this.#systemLookup !== undefined) return this.#system(host, this.#systemLookup);
    for (const type of ["A", "AAAA"] as const) {
      const lookup = await this.#cached(host, type);
      if (!lookup.ok && lookup.reason === "Error") return { ok: false, detail: `cannot resolve ${host}: ${lookup.detail}` };
      const address = lookup.ok ? lookup.answers.find((a): a is dnsPacket.StringAnswer => a.type === type) : undefined;
      if (address !== undefined) return { ok: true, address: address.data };
    }
    return { ok: false, detail: `no address record for ${host}` };
  }

  #system(host: string, lookup: SystemLookup): Promise<AddressResult> {
    const key = host.toLowerCase();
    const now = this.#now();
    const hit = this.#systemCache.get(key);
    if (hit !== undefined && hit.expires > now) return hit.result;
    const result = lookup(host).then(
      (address): AddressResult => ({ ok: true, address }),
      (error: unknown): AddressResult => ({ ok: false, detail: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}` }),
    );
    if (this.#systemCache.size >= this.#maxEntries) this.#systemCache.clear();
    this.#systemCache.set(key, { expires: now + this.#systemTtl * 1000, result });
    return result;
  }

  #isCached(name: string, type: "SRV" | "A" | "AAAA"): boolean {
    const hit = this.#cache.get(`${type} ${name.toLowerCase()}`);
    return hit !== undefined && hit.expires > this.#now();
  }

  #cached(name: string, type: "SRV" | "A" | "AAAA"): Promise<Lookup> {
    const key = `${type} ${name.toLowerCase()}`;
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.expires > now) return hit.lookup;
    if (hit !== undefined) this.#cache.delete(key);
    const lookup = this.#query(name, type);
    // Concurrent askers share the one query in flight; the entry's lifetime is fixed once it answers.
    this.#remember(key, now + this.#timeoutMs * this.#attempts, lookup);
    void lookup.then((result) => {
      if (this.#cache.get(key)?.lookup !== lookup) return;
      const ttl = Math.min(result.ttl, this.#maxTtl);
      if (ttl <= 0) this.#cache.delete(key);
      else this.#remember(key, this.#now() + ttl * 1000, lookup);
    });
    return lookup;
  }

  #remember(key: string, expires: number, lookup: Promise<Lookup>): void {
    this.#cache.delete(key);
    if (this.#cache.size >= this.#maxEntries) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, { expires, lookup });
  }

  async #query(name: string, type: "SRV" | "A" | "AAAA"): Promise<Lookup> {
    let lastError = "no answer";
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      try {
        return interpret(await this.#exchange(name, type), type, this.#negativeTtl);
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
    }
    return { ok: false, reason: "Error", detail: `${type} ${name}: ${lastError}`, ttl: 0 };
  }

  #exchange(name: string, type: "SRV" | "A" | "AAAA"): Promise<dnsPacket.DecodedPacket> {
    const id = randomInt(0, 65536);
    const query = dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: "IN" }] });
    const socket = createSocket(isIP(this.server.host) === 6 ? "udp6" : "udp4");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no answer from ${this.server.host}:${this.server.port} within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      const finish = (error: Error | undefined, packet?: dnsPacket.DecodedPacket) => {
        clearTimeout(timer);
        socket.close();
        if (packet !== undefined) resolve(packet);
        else reject(error ?? new Error("no answer"));
      };
      socket.on("error", (error) => finish(error));
      socket.on("message", (message) => {
        let packet: dnsPacket.DecodedPacket;
        try {
          packet = dnsPacket.decode(message);
        } catch {
          return; // not a DNS answer; keep waiting for ours
        }
        // Ours only if it answers our question (the connected socket already drops other senders).
        const question = packet.questions?.[0];
        if (packet.id !== id || packet.type !== "response" || question?.type !== type || question.name.toLowerCase() !== name.toLowerCase()) return;
        if (!packet.flag_tc) return finish(undefined, packet);
        // RFC 7766: a truncated answer is asked again over TCP.
        clearTimeout(timer);
        socket.close();
        this.#exchangeTcp(query, id, name, type).then(resolve, reject);
      });
      // A connected UDP socket receives datagrams from the configured server only: an answer that
      // decides which host a remote must be cannot come from anyone who guesses the query id.
      socket.connect(this.server.port, this.server.host, () => socket.send(query));
    });
  }

  #exchangeTcp(query: Buffer, id: number, name: string, type: string): Promise<dnsPacket.DecodedPacket> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: this.server.host, port: this.server.port });
      let received: Buffer = Buffer.alloc(0);
      const finish = (error: Error | undefined, packet?: dnsPacket.DecodedPacket) => {
        clearTimeout(timer);
        socket.destroy();
        if (packet !== undefined) resolve(packet);
        else reject(error ?? new Error("no answer"));
      };
      const timer = setTimeout(() => finish(new Error(`no TCP answer from ${this.server.host}:${this.server.port} within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      socket.on("error", (error) => finish(error));
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      // RFC 1035 §4.2.2: over TCP each message is preceded by its two-byte length.
      socket.on("connect", () => socket.write(Buffer.concat([prefix, query])));
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const length = received.length < 2 ? Infinity : received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        let packet: dnsPacket.DecodedPacket;
        try {
          packet = dnsPacket.decode(received.subarray(2, 2 + length));
        } catch (error) {
          return finish(error instanceof Error ? error : new Error(String(error)));
        }
        const question = packet.questions?.[0];
        if (packet.id !== id || question?.type !== type || question.name.toLowerCase() !== name.toLowerCase()) return finish(new Error("the TCP answer is not for our question"));
        finish(undefined, packet);
      });
    });
  }
}

function rcodeOf(packet: dnsPacket.DecodedPacket): string {
  return (packet as { rcode?: string }).rcode ?? "NOERROR";
}

function negativeTtl(packet: dnsPacket.DecodedPacket, fallback: number): number {
  const soa = (packet.authorities ?? []).find((a): a is dnsPacket.SoaAnswer => a.type === "SOA");
  if (soa === undefined) return fallback;
  return Math.min(soa.ttl ?? fallback, soa.data.minimum ?? fallback);
}

/** Maps a DNS answer to a lookup: NXDOMAIN or an empty answer is "not found", other failures are errors. */
export function interpret(packet: dnsPacket.DecodedPacket, type: string, negativeTtlSeconds: number): Lookup {
  const rcode = rcodeOf(packet);
  if (rcode === "NXDOMAIN") return { ok: false, reason: "NotFound", detail: "NXDOMAIN", ttl: negativeTtl(packet, negativeTtlSeconds) };
  if (rcode !== "NOERROR") return { ok: false, reason: "Error", detail: rcode, ttl: 0 };
  const answers = (packet.answers ?? []).filter((a) => a.type === type);
  if (answers.length === 0) return { ok: false, reason: "NotFound", detail: "no records", ttl: negativeTtl(packet, negativeTtlSeconds) };
  const ttl = Math.min(...answers.map((a) => ("ttl" in a ? (a.ttl ?? 0) : 0)));
  return { ok: true, answers, ttl };
}

function lookupError(lookup: Extract<Lookup, { ok: false }>, name: string): FederatorError {
  return lookup.reason === "NotFound" ? { kind: "SrvNotAvailable", srvName: name } : { kind: "DiscoveryFailure", srvName: name, detail: lookup.detail };
}
