// Test backends: each a federator (in this process, real sockets on its own 127.0.0.x address) with
// its files laid out the way the kubelet mounts a ConfigMap and Secrets, fake brig/galley/cargohold,
// and the Files-mode reloader. Helpers send egress calls and raw ingress calls.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { request as http1Request, Agent, type IncomingHttpHeaders } from "node:http";
import { connect as http2Connect, constants as h2, type ClientHttp2Session } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { FederatorConfigInput } from "../../lib/api/federator-config.ts";
import type { CertificateAuthority, IssuedCertificate } from "../../lib/certs/issue.ts";
import { createLogger, type Logger } from "../../lib/log.ts";
import { startFakeComponents, type FakeComponents } from "../../e2e/support/fake-components.ts";
import { readSources, sourcesDigest, type FileLocations } from "../config.ts";
import { startFederator, type Federator } from "../federator.ts";
import { watchFiles, type FileReloader } from "../reload-files.ts";

/**
 * Writes `files` into `dir` the way the kubelet's AtomicWriter does: a fresh `..<timestamp>`
 * directory, the `..data` symlink renamed over atomically, and per-key symlinks through `..data`.
 */
export function kubeletWrite(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${Math.random().toString(36).slice(2, 8)}`;
  const next = join(dir, stamp);
  mkdirSync(next);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(next, name), content);
  const old = readdirSync(dir).filter((entry) => entry.startsWith("..") && entry !== "..data" && entry !== stamp && entry !== "..data_tmp");
  symlinkSync(stamp, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const name of Object.keys(files)) {
    if (!existsSync(join(dir, name))) symlinkSync(join("..data", name), join(dir, name));
  }
  for (const entry of old) rmSync(join(dir, entry), { recursive: true, force: true });
}

export interface BackendOptions {
  readonly name: string;
  readonly ip: string;
  readonly ca: CertificateAuthority;
  readonly certificate: IssuedCertificate;
  readonly trusted: readonly CertificateAuthority[];
  readonly config: Omit<FederatorConfigInput, "services" | "tls" | "listen"> & { listen?: { externalTLS?: boolean; clientCertificateHeader?: NonNullable<FederatorConfigInput["listen"]>["clientCertificateHeader"] } };
  readonly poolSize?: number;
  readonly log?: Logger;
  /** Points a component at another server (e.g. a recorder of aborted requests) instead of the fake. */
  readonly services?: Partial<FakeComponents["services"]>;
  /** listen.ingressHop: the external port serves TLS with `server` and accepts only clients `ca` issued. */
  readonly hop?: HopMaterial;
}

export interface HopMaterial {
  readonly ca: CertificateAuthority;
  readonly server: IssuedCertificate;
}

export interface Backend {
  readonly name: string;
  readonly ip: string;
  readonly dir: string;
  readonly federator: Federator;
  readonly components: FakeComponents;
  readonly reloader: FileReloader;
  readonly internalUrl: string;
  readonly externalPort: number;
  config: BackendOptions["config"];
  /** Replaces federator.yaml (kubelet-style) and waits until the federator runs on it. */
  writeConfig(config: BackendOptions["config"], options?: { wait?: boolean }): Promise<void>;
  writeRawConfig(text: string): void;
  writeTls(certificate: IssuedCertificate): void;
  writeCa(cas: readonly CertificateAuthority[]): void;
  /** Replaces the ingress hop's certificate and CA (kubelet-style). */
  writeHop(hop: HopMaterial): void;
  close(): Promise<void>;
}

function configYaml(options: { config: BackendOptions["config"]; services: FakeComponents["services"]; ip: string; hopDir: string | undefined }): string {
  const { listen, ...rest } = options.config;
  const { hopDir } = options;
  const ingressHop = hopDir === undefined ? null : { certFile: join(hopDir, "tls.crt"), keyFile: join(hopDir, "tls.key"), caFile: join(hopDir, "ca.crt") };
  const document: FederatorConfigInput = {
    ...rest,
    services: options.services,
    listen: {
      internal: `${options.ip}:0`,
      external: `${options.ip}:0`,
      externalTLS: listen?.externalTLS ?? hopDir === undefined,
      ingressHop,
      ...(listen?.clientCertificateHeader === undefined ? {} : { clientCertificateHeader: listen.clientCertificateHeader }),
    },
  };
  return stringify(document);
}

export async function startBackend(options: BackendOptions): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), `federator-${options.name}-`));
  const locations: FileLocations = { configFile: join(dir, "config", "federator.yaml"), tlsDir: join(dir, "tls"), caDir: join(dir, "ca") };
  const components = await startFakeComponents(options.ip);
  const log = options.log ?? createLogger({ name: `federator-${options.name}`, level: process.env["FEDERATOR_TEST_LOG"] ?? "silent" });
  let config = options.config;
  const writeRawConfig = (text: string) => kubeletWrite(join(dir, "config"), { "federator.yaml": text });
  const writeTls = (certificate: IssuedCertificate) => kubeletWrite(join(dir, "tls"), { "tls.crt": certificate.chainPem, "tls.key": certificate.privateKeyPem });
  const writeCa = (cas: readonly CertificateAuthority[]) => kubeletWrite(join(dir, "ca"), { "ca.crt": cas.map((c) => c.certificatePem).join("") });
  const hopDir = options.hop === undefined ? undefined : join(dir, "hop");
  const writeHop = (hop: HopMaterial) => kubeletWrite(join(dir, "hop"), { "tls.crt": hop.server.certificatePem, "tls.key": hop.server.privateKeyPem, "ca.crt": hop.ca.certificatePem });
  if (options.hop !== undefined) writeHop(options.hop);
  const services = { ...components.services, ...options.services };
  writeRawConfig(configYaml({ config, services, ip: options.ip, hopDir }));
  writeTls(options.certificate);
  writeCa(options.trusted);
  const sources = await readSources(locations);
  if (!sources.ok) throw new Error(sources.reason);
  const federator = await startFederator({ sources: sources.sources, poolSize: options.poolSize ?? 1, log });
  const reloader = watchFiles({ locations, federator, log, debounceMs: 10, pollIntervalMs: 60_000 });
  /** Waits until the federator runs on exactly what is on disk now (through the watcher, not a forced read). */
  const waitForFiles = async () => {
    const written = await readSources(locations);
    if (!written.ok) throw new Error(written.reason);
    const expected = sourcesDigest(written.sources);
    await waitUntil(() => federator.digest() === expected, `${options.name} applies its new files`);
  };
  const backend: Backend = {
    name: options.name,
    ip: options.ip,
    dir,
    federator,
    components,
    reloader,
    internalUrl: `http://${options.ip}:${federator.internalAddress.port}`,
    externalPort: federator.externalAddress.port,
    config,
    async writeConfig(next, { wait = true } = {}) {
      config = next;
      backend.config = next;
      writeRawConfig(configYaml({ config: next, services, ip: options.ip, hopDir }));
      if (wait) await waitForFiles();
    },
    writeRawConfig,
    writeTls,
    writeCa,
    writeHop,
    async close() {
      reloader.close();
      await federator.close();
      await components.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return backend;
}

/** Polls `condition` every few milliseconds until it holds, or fails naming `what`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/** An HTTP/1.1 request, as brig makes it to the internal port or nginx to the external one. */
export function http1(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http1Request(url, { method: options.method ?? "POST", headers: options.headers, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** One HTTP/2 prior-knowledge session per internal URL, as a wire-server component keeps one. */
const h2cSessions = new Map<string, ClientHttp2Session>();

function h2cSession(origin: string): ClientHttp2Session {
  const open = h2cSessions.get(origin);
  if (open !== undefined && !open.closed && !open.destroyed) return open;
  const session = http2Connect(origin);
  session.on("error", () => undefined); // surfaced through the streams that fail
  session.once("close", () => h2cSessions.get(origin) === session && h2cSessions.delete(origin));
  session.unref();
  h2cSessions.set(origin, session);
  return session;
}

/** A POST over cleartext HTTP/2 with prior knowledge, as wire-server's components call the internal port. */
export function h2c(origin: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const stream = h2cSession(origin).request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: path, ...options.headers });
    let headers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (headers = h as IncomingHttpHeaders));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => (headers === undefined ? reject(new Error(`no response to POST ${path}`)) : resolve({ status: Number(headers[":status"]), headers, body: Buffer.concat(chunks) })));
    stream.on("error", reject);
    stream.end(options.body);
  });
}

/** An egress call through `backend`'s internal port over HTTP/2 prior knowledge, as brig makes it. */
export function rpc(backend: Backend, target: string, component: string, name: string, body: string | Buffer = "{}", headers: Record<string, string> = {}): Promise<HttpResult> {
  return h2c(backend.internalUrl, `/rpc/${target}/${component}/${name}`, { body, headers: { "content-type": "application/json", ...headers } });
}

/** An HTTP/2 request straight to a Passthrough external port (or an nginx at `port`), with whatever client certificate. */
export function ingressCall(
  backend: Backend,
  options: { certificate?: IssuedCertificate; trust: readonly CertificateAuthority[]; path: string; headers?: Record<string, string>; body?: string; port?: number },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://${backend.ip}:${options.port ?? backend.externalPort}`, {
      ca: options.trust.map((c) => c.certificatePem),
      cert: options.certificate?.chainPem,
      key: options.certificate?.privateKeyPem,
      servername: `federator.${backend.name}.example`,
    });
    session.on("error", reject);
    const stream = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: options.path, ...options.headers });
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    // With TLS 1.3 the server refuses a client certificate after the client's handshake is done:
    // that shows as a stream closed without a response.
    stream.on("close", () => {
      if (status === 0) reject(new Error(`no response (stream closed with code ${stream.rstCode})`));
    });
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h as IncomingHttpHeaders;
    });
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      if (status === 0) reject(new Error("no response (the stream ended without headers)"));
      else resolve({ status, headers, body: Buffer.concat(chunks) });
    });
    stream.on("error", (error) => {
      session.destroy();
      reject(error);
    });
    stream.end(options.body ?? "{}");
  });
}

/** `backend`'s /i/metrics, as Prometheus scrapes it. */
export async function metricsOf(backend: Backend): Promise<string> {
  return (await http1(`${backend.internalUrl}/i/metrics`, { method: "GET" })).body.toString();
}

export function json(result: HttpResult): Record<string, unknown> {
  return JSON.parse(result.body.toString("utf8")) as Record<string, unknown>;
}

/** The value of one Prometheus sample in `text`, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith("{") || rest.startsWith(" "))) continue;
    if (wanted.every((w) => rest.includes(w))) return Number(line.split(" ").at(-1));
  }
  return 0;
}

export function srvRecord(domain: string, port: number, host = `federator.${domain}`) {
  return { name: `_wire-server-federator._tcp.${domain}`, target: host, port };
}
