// A small federation for integration tests: dnsmasq serving the SRV and A records, and backends
// A (127.0.0.2) and B (127.0.0.3) whose federators terminate mutual TLS themselves (Passthrough),
// with certificates from one test CA. Tests add more backends and records as they need.
import { createServer } from "node:net";
import { startDnsmasq, type AddressRecord, type Dnsmasq, type SrvRecord } from "../../e2e/support/dnsmasq.ts";
import type { FederatorConfigInput } from "../../lib/api/federator-config.ts";
import type { CertificateAuthority } from "../../lib/certs/issue.ts";
import { startBackend, srvRecord, type Backend, type BackendOptions } from "./backends.ts";
import { federatorCertificate, testCa } from "./pki.ts";

export interface World {
  readonly ca: CertificateAuthority;
  readonly dns: Dnsmasq;
  readonly a: Backend;
  readonly b: Backend;
  readonly backends: Backend[];
  /** Starts one more backend `<name>.example` on `ip` and publishes its SRV and A records. */
  addBackend(name: string, ip: string, options?: Partial<Omit<BackendOptions, "name" | "ip">>): Promise<Backend>;
  /** Publishes `<name>.example`'s SRV record at another port (e.g. an nginx in front of it). */
  publishAt(name: string, port: number): Promise<void>;
  /** Publishes extra records next to those of the backends. */
  setExtraRecords(srv: readonly SrvRecord[], a: readonly AddressRecord[]): Promise<void>;
  close(): Promise<void>;
}

export function baseConfig(name: string, dnsServer: string, remotes: readonly string[]): BackendOptions["config"] {
  const config: Omit<FederatorConfigInput, "services" | "tls" | "listen"> = {
    backendDomain: `${name}.example`,
    infraDomain: `federator.${name}.example`,
    strategy: "AllowList",
    remotes: remotes.map((domain) => ({ domain, infraDomain: null, searchPolicy: "full_search", restriction: { type: "AllowAll" } })),
    // Every test backend is on 127.0.0.x.
    dns: { server: dnsServer, allowPrivateTargets: true },
  };
  return config;
}

/** A TCP port on `ip` with nothing listening (bound, then released). */
export async function closedPort(ip: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function startWorld(options: { aRemotes?: readonly string[]; bRemotes?: readonly string[]; poolSize?: number; dnsTtlSeconds?: number } = {}): Promise<World> {
  const ca = await testCa();
  const dns = await startDnsmasq({ records: {}, localDomains: ["example"], ttlSeconds: options.dnsTtlSeconds ?? 5 });
  const backends: Backend[] = [];
  let extra: { srv: readonly SrvRecord[]; a: readonly AddressRecord[] } = { srv: [], a: [] };
  const ports = new Map<string, number>();
  const publish = () =>
    dns.setRecords({
      srv: [...backends.map((b) => srvRecord(`${b.name}.example`, ports.get(b.name) ?? b.externalPort)), ...extra.srv],
      a: [...backends.map((b) => ({ name: `federator.${b.name}.example`, address: b.ip })), ...extra.a],
    });
  const addBackend = async (name: string, ip: string, more: Partial<Omit<BackendOptions, "name" | "ip">> = {}) => {
    const backend = await startBackend({
      name,
      ip,
      ca,
      certificate: more.certificate ?? (await federatorCertificate(ca, `federator.${name}.example`)),
      trusted: more.trusted ?? [ca],
      config: more.config ?? baseConfig(name, dns.address, []),
      ...(more.poolSize !== undefined ? { poolSize: more.poolSize } : {}),
      ...(more.services !== undefined ? { services: more.services } : {}),
      ...(more.hop !== undefined ? { hop: more.hop } : {}),
    });
    backends.push(backend);
    await publish();
    return backend;
  };
  try {
    const a = await addBackend("a", "127.0.0.2", { config: baseConfig("a", dns.address, options.aRemotes ?? ["b.example"]), ...(options.poolSize ? { poolSize: options.poolSize } : {}) });
    const b = await addBackend("b", "127.0.0.3", { config: baseConfig("b", dns.address, options.bRemotes ?? ["a.example"]) });
    return {
      ca,
      dns,
      a,
      b,
      backends,
      addBackend,
      async publishAt(name, port) {
        ports.set(name, port);
        await publish();
      },
      async setExtraRecords(srv, aRecords) {
        extra = { srv, a: aRecords };
        await publish();
      },
      async close() {
        await Promise.all(backends.map((backend) => backend.close()));
        await dns.stop();
      },
    };
  } catch (error) {
    await Promise.all(backends.map((backend) => backend.close()));
    await dns.stop();
    throw error;
  }
}
