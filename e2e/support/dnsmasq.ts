// A real DNS server for tests: Debian's dnsmasq on 127.0.0.1:<free port>, answering only the SRV
// and A records a test gives it (no upstream, no /etc/hosts), with a chosen TTL. Changing records
// restarts it on the same port.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import * as dnsPacket from "dns-packet";
import { spawnFailure } from "../prereqs/not-found.ts";

export const DNSMASQ = process.env["DNSMASQ"] ?? "/usr/sbin/dnsmasq";

export interface SrvRecord {
  /** Full owner name, e.g. `_wire-server-federator._tcp.b.example`. */
  readonly name: string;
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

export interface AddressRecord {
  readonly name: string;
  readonly address: string;
}

export interface DnsRecords {
  readonly srv?: readonly SrvRecord[];
  readonly a?: readonly AddressRecord[];
}

export interface DnsmasqOptions {
  readonly records: DnsRecords;
  /** TTL of every answer (dnsmasq's --local-ttl); default 0, so clients do not cache. */
  readonly ttlSeconds?: number;
  /** Domains answered authoritatively (NXDOMAIN for unknown names); default: the TLDs of the records. */
  readonly localDomains?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface Dnsmasq {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, the form the federator's `dns.server` takes. */
  readonly address: string;
  /** Replaces all records (restarts dnsmasq on the same port) and waits until it answers. */
  setRecords(records: DnsRecords): Promise<void>;
  /** The records served now. */
  records(): DnsRecords;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const PROBE_NAME = "dnsmasq-ready.probe";

/** dnsmasq's command line for `records`; exposed so a failing test can print it. */
export function dnsmasqArgs(port: number, records: DnsRecords, ttlSeconds: number, localDomains: readonly string[] | undefined): string[] {
  const names = [...(records.srv ?? []).flatMap((r) => [r.name, r.target]), ...(records.a ?? []).map((r) => r.name), PROBE_NAME];
  const locals = localDomains ?? [...new Set(names.map((n) => n.split(".").at(-1) ?? n))];
  return [
    "--keep-in-foreground",
    "--no-resolv",
    "--no-hosts",
    "--conf-file=/dev/null",
    "--bind-interfaces",
    `--listen-address=${HOST}`,
    `--port=${port}`,
    "--pid-file=",
    "--log-facility=-",
    `--local-ttl=${ttlSeconds}`,
    `--neg-ttl=${ttlSeconds}`,
    ...(process.getuid?.() === 0 ? ["--user=root"] : []),
    ...locals.map((domain) => `--local=/${domain}/`),
    `--host-record=${PROBE_NAME},${HOST}`,
    ...(records.srv ?? []).map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`),
    ...(records.a ?? []).map((r) => `--host-record=${r.name},${r.address}`),
  ];
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, HOST, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** One A query for the probe name; true when dnsmasq answered it. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const id = randomInt(0, 65536);
    const timer = setTimeout(() => done(false), 200);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    socket.on("error", () => done(false));
    socket.on("message", (message) => {
      try {
        const packet = dnsPacket.decode(message);
        if (packet.id === id) done((packet.answers ?? []).length > 0);
      } catch {
        done(false);
      }
    });
    socket.send(dnsPacket.encode({ type: "query", id, questions: [{ type: "A", name: PROBE_NAME }] }), port, HOST);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function launch(port: number, options: DnsmasqOptions, records: DnsRecords): Promise<ChildProcess> {
  const args = dnsmasqArgs(port, records, options.ttlSeconds ?? 0, options.localDomains);
  const child = spawn(DNSMASQ, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let failed: Error | undefined;
  child.once("error", (error) => (failed = spawnFailure(DNSMASQ, error)));
  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  while (Date.now() < deadline) {
    if (failed) throw failed;
    if (child.exitCode !== null) throw new Error(`dnsmasq exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await probe(port)) return child;
  }
  child.kill("SIGKILL");
  await exited(child);
  throw new Error(`dnsmasq did not answer on ${HOST}:${port} within the deadline: ${stderr.trim()}`);
}

export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freeUdpPort();
    try {
      child = await launch(port, options, options.records);
    } catch (error) {
      // The TCP side of a free UDP port can be taken; another port usually works.
      if (attempt >= 2) throw error;
    }
  }
  let current = options.records;
  const stopChild = async () => {
    const current = child;
    child = undefined;
    if (current === undefined) return;
    current.kill("SIGTERM");
    await exited(current);
  };
  return {
    host: HOST,
    port,
    address: `${HOST}:${port}`,
    records: () => current,
    async setRecords(records) {
      current = records;
      await stopChild();
      // Another process may take the port in the moment it is free; it is usually gone again soon.
      for (let attempt = 1; ; attempt++) {
        try {
          child = await launch(port, options, records);
          return;
        } catch (error) {
          if (attempt >= 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    },
    stop: stopChild,
  };
}
