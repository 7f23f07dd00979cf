// Two federating Wire backends, a.example on 127.0.0.2 and b.example on 127.0.0.3, one real DNS
// server with their SRV records, and each backend's FederationPeer for the other carrying the
// other's published CA, as two operators' owners would exchange them.
import { freePorts } from "../controlplane/ports.ts";
import { startDnsmasq, type Dnsmasq } from "../support/dnsmasq.ts";
import { startBackend, type Backend, type BackendPorts, type FederatorNode } from "./backend.ts";

export interface EnvironmentOptions {
  readonly reload?: "Files" | "Watch";
  readonly certificateDuration?: string;
  /** How node starts each backend's federator; `name` is the backend's (a, b). */
  readonly federatorNode?: (name: string) => FederatorNode;
  readonly progress?: (message: string) => void;
}

export interface Environment {
  readonly a: Backend;
  readonly b: Backend;
  readonly dns: Dnsmasq;
  stop(): Promise<void>;
}

export const SRV_PREFIX = "_wire-server-federator._tcp";


async function portsOn(host: string): Promise<BackendPorts> {
  const [internal, external, ingress] = (await freePorts(3, host)) as [number, number, number];
  return { internal, external, ingress };
}

export function peerFor(remote: Backend, options: { suspend?: boolean } = {}): object[] {
  return [
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${remote.name}-ca` }, data: { "ca.crt": "" } },
    {
      apiVersion: "federation.wire.com/v1alpha1",
      kind: "FederationPeer",
      metadata: { name: remote.name },
      spec: { domain: remote.domain, searchPolicy: "full_search", suspend: options.suspend ?? false, caBundle: { configMapRef: { name: `${remote.name}-ca` } } },
    },
  ];
}

/** Makes `local` federate with `remote`: the remote's CA in a ConfigMap, and a FederationPeer. */
export async function peer(local: Backend, remote: Backend, options: { suspend?: boolean } = {}): Promise<void> {
  const [configMap, federationPeer] = peerFor(remote, options) as [{ data: Record<string, string> }, object];
  configMap.data["ca.crt"] = await remote.publishedCA();
  await local.apply(configMap, federationPeer);
}

export async function startEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
  const say = options.progress ?? (() => undefined);
  const reload = options.reload ?? "Watch";
  const [portsA, portsB] = await Promise.all([portsOn("127.0.0.2"), portsOn("127.0.0.3")]);
  say("starting dnsmasq with the SRV records of a.example and b.example");
  const dns = await startDnsmasq({
    records: {
      srv: [
        { name: `${SRV_PREFIX}.a.example`, target: "federator.a.example", port: portsA.ingress },
        { name: `${SRV_PREFIX}.b.example`, target: "federator.b.example", port: portsB.ingress },
      ],
      a: [
        { name: "federator.a.example", address: "127.0.0.2" },
        { name: "federator.b.example", address: "127.0.0.3" },
      ],
    },
    ttlSeconds: 5,
  });
  const started: Backend[] = [];
  try {
    const node = (name: string) => (options.federatorNode ? { federatorNode: options.federatorNode(name) } : {});
    const common = { dnsServer: dns.address, reload, progress: say, ...(options.certificateDuration ? { certificateDuration: options.certificateDuration } : {}) };
    const [a, b] = await Promise.all([
      startBackend({ ...common, ...node("a"), name: "a", domain: "a.example", address: "127.0.0.2", ports: portsA }).then((x) => (started.push(x), x)),
      startBackend({ ...common, ...node("b"), name: "b", domain: "b.example", address: "127.0.0.3", ports: portsB }).then((x) => (started.push(x), x)),
    ]);
    say("exchanging CAs: a FederationPeer for b.example on a, and for a.example on b");
    await Promise.all([peer(a, b), peer(b, a)]);
    return {
      a,
      b,
      dns,
      async stop() {
        await Promise.all([a.stop(), b.stop()]);
        await dns.stop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((x) => x.stop()));
    await dns.stop();
    throw error;
  }
}
