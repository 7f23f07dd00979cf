// One Wire backend of the end-to-end environment, built only from real parts: its own
// kube-apiserver + etcd, its own operator process, and — from what that operator wrote — a
// federator process (Files mode through kubelet-style volumes, or Watch mode through the API)
// behind Debian's nginx configured from the operator's Ingress. brig/galley/cargohold are fakes.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { createLogger } from "../../lib/log.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { getObject } from "../../lib/kube/get-object.ts";
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { RESOURCES, resourcePath, type KindName } from "../../operator/kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.ts";
import { stopChild } from "../controlplane/processes.ts";
import { projectVolume } from "../kubelet/atomic-volume.ts";
import { startNginx, type NginxProcess } from "../nginx/nginx.ts";
import { createFakeBrigApi, type FakeBrigApi } from "../support/fake-brig.ts";
import { startFakeComponents, type FakeComponents } from "../support/fake-components.ts";
import { waitFor } from "../support/wait-for.ts";

const REPO = join(import.meta.dirname, "..", "..");
export const NAMESPACE = "wire";
export const CONFIG = "wire";

export interface BackendPorts {
  readonly internal: number;
  readonly external: number;
  /** nginx's HTTPS port: the port of the backend's SRV record. */
  readonly ingress: number;
}

export interface BackendOptions {
  readonly name: string;
  readonly domain: string;
  /** Loopback address the backend's federator, nginx and components listen on, e.g. 127.0.0.2. */
  readonly address: string;
  readonly ports: BackendPorts;
  /** host:port of the DNS server that serves every backend's SRV records. */
  readonly dnsServer: string;
  readonly reload: "Files" | "Watch";
  /** Lifetime of the selfSigned certificate. */
  readonly certificateDuration?: string;
  /** How node starts the federator (default: its TypeScript source, no flags). */
  readonly federatorNode?: FederatorNode;
  readonly progress?: (message: string) => void;
}

/** The federator's entry script, the node flags before it and its environment. */
export interface FederatorNode {
  readonly env?: Readonly<Record<string, string>>;
  readonly script: string;
  readonly flags: readonly string[];
}

export interface Backend {
  readonly name: string;
  readonly domain: string;
  readonly infraDomain: string;
  readonly address: string;
  readonly ports: BackendPorts;
  readonly controlPlane: ControlPlane;
  readonly client: RestClient;
  readonly components: FakeComponents;
  /** brig's federation remotes API (served by components.brig), which the operator keeps equal to the FederationPeers. */
  readonly brigApi: FakeBrigApi;
  /** What brig, galley and cargohold call: http://address:internal. */
  readonly federatorUrl: string;
  /** Output of the operator and federator processes, as JSON lines. */
  readonly logs: () => string;
  kubectl(args: readonly string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  apply(...objects: object[]): Promise<void>;
  get(kind: KindName, name: string): Promise<KubeObject | undefined>;
  /** This backend's CA as its operator publishes it (ConfigMap wire-ca-public). */
  publishedCA(): Promise<string>;
  stop(): Promise<void>;
}

interface Managed {
  readonly child: ChildProcess;
  output: string;
}

function launch(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Managed {
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const managed: Managed = { child, output: "" };
  const append = (chunk: Buffer) => {
    managed.output += chunk.toString();
    if (managed.output.length > 4_000_000) managed.output = managed.output.slice(-2_000_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  child.once("exit", (code, signal) => (managed.output += `\n{"msg":"${name} exited","code":${code},"signal":"${signal}"}\n`));
  return managed;
}

const stopProcess = ({ child }: Managed): Promise<void> => stopChild(child, 5000);


export function federationConfig(options: BackendOptions, services: Record<string, string>): object {
  return {
    apiVersion: "federation.wire.com/v1alpha1",
    kind: "FederationConfig",
    metadata: { name: CONFIG, namespace: NAMESPACE },
    spec: {
      backendDomain: options.domain,
      infraDomain: `federator.${options.domain}`,
      strategy: "AllowList",
      certificate: { selfSigned: { duration: options.certificateDuration ?? "2160h" } },
      federator: { replicas: 1, services, dns: { server: options.dnsServer, allowPrivateTargets: true }, reload: options.reload },
      brig: { sync: true },
    },
  };
}

export async function startBackend(options: BackendOptions): Promise<Backend> {
  const say = options.progress ?? (() => undefined);
  const infraDomain = `federator.${options.domain}`;
  const stack: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const step of stack.reverse()) await Promise.resolve(step()).catch(() => undefined);
  };
  try {
    say(`starting kube-apiserver + etcd for ${options.domain}`);
    const controlPlane = await startControlPlane({ name: `backend-${options.name}`, controllerManager: false, auditLog: false });
    stack.push(() => controlPlane.stop());
    const client = await createRestClient(loadKubeConfig(controlPlane.kubeconfigPath), `e2e-${options.name}`);
    await client.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } });

    const brigState = mkdtempSync(join(tmpdir(), `e2e-${options.name}-brig-`));
    stack.push(() => rmSync(brigState, { recursive: true, force: true }));
    const brigApi = createFakeBrigApi({ stateFile: join(brigState, "cassandra.json"), strategy: "allowDynamic" });
    const components = await startFakeComponents(options.address, brigApi.intercept);
    stack.push(() => components.close());

    say(`starting the operator for ${options.domain}`);
    const operator = launch(`operator-${options.name}`, ["operator/main.ts", "--kubeconfig", controlPlane.kubeconfigPath, "--namespaces", NAMESPACE, "--leader-elect=false", "--listen", "127.0.0.1:0", "--service-targets=any"]);
    stack.push(() => stopProcess(operator));

    const kubectl = (args: readonly string[], stdin?: string) => controlPlane.kubectl(args, stdin === undefined ? {} : { stdin });
    const apply = async (...objects: object[]) => {
      const result = await kubectl(["apply", "-n", NAMESPACE, "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
      if (result.code !== 0) throw new Error(`kubectl apply on ${options.domain} failed: ${result.stderr}`);
    };
    const get = (kind: KindName, name: string) => getObject(client, RESOURCES[kind], NAMESPACE, name);
    await apply(federationConfig(options, components.services));
    await waitFor(async () => (await get("Ingress", `${CONFIG}-federator`)) && (await get("Secret", `${CONFIG}-tls`)) && (await get("Secret", `${CONFIG}-federator-hop`)) && (await get("ConfigMap", `${CONFIG}-federator`)), {
      description: `the operator of ${options.domain} writes its Ingress, certificates and federator config`,
      timeoutMs: 30_000,
    });

    const node = await startNode({ options, client, controlPlane, get, say, stack });
    return {
      name: options.name,
      domain: options.domain,
      infraDomain,
      address: options.address,
      ports: options.ports,
      controlPlane,
      client,
      components,
      brigApi,
      federatorUrl: `http://${options.address}:${options.ports.internal}`,
      logs: () => operator.output + node.federator.output,
      kubectl,
      apply,
      get,
      async publishedCA() {
        const cm = await get("ConfigMap", `${CONFIG}-ca-public`);
        const pem = ((cm?.["data"] ?? {}) as Record<string, string>)["ca.crt"];
        if (pem === undefined) throw new Error(`${options.domain} has not published its CA yet`);
        return pem;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface NodeContext {
  readonly options: BackendOptions;
  readonly client: RestClient;
  readonly controlPlane: ControlPlane;
  readonly get: (kind: KindName, name: string) => Promise<KubeObject | undefined>;
  readonly say: (message: string) => void;
  readonly stack: (() => Promise<void> | void)[];
}

/**
 * What a node and the ingress controller do with the operator's objects: project the ConfigMap
 * and Secrets into volumes (Files mode), run the federator "pod", report it available in the
 * Deployment status, and keep nginx configured from the Ingress and the Secrets it references.
 */
async function startNode({ options, client, controlPlane, get, say, stack }: NodeContext): Promise<{ federator: Managed }> {
  const volumes = mkdtempSync(join(tmpdir(), `e2e-${options.name}-volumes-`));
  stack.push(() => rmSync(volumes, { recursive: true, force: true }));
  const log = createLogger({ name: `e2e-node-${options.name}`, level: "warn" });
  const projected = new Map<string, Record<string, string>>();
  const project = (volume: string, data: Record<string, string>) => {
    if (projectVolume(join(volumes, volume), data, projected.get(volume))) projected.set(volume, data);
  };
  const secretOf = (name: string) => decodedSecretData(informers.secrets.get(name)) ?? {};
  let nginx: NginxProcess | undefined;
  const ingressInput = () => {
    const ingress = informers.ingress.get(`${CONFIG}-federator`);
    if (ingress === undefined) return undefined;
    return {
      ingress,
      secret: (namespaced: string) => secretOf(namespaced.split("/")[1] ?? ""),
      upstream: () => `${options.address}:${options.ports.external}`,
      listen: `${options.address}:${options.ports.ingress}`,
    };
  };
  let lastIngress = "";
  let syncing = Promise.resolve();
  const sync = () => {
    syncing = syncing.then(async () => {
      const configMap = informers.configMaps.get(`${CONFIG}-federator`);
      if (configMap !== undefined) project("config", (configMap["data"] ?? {}) as Record<string, string>);
      const tls = secretOf(`${CONFIG}-tls`);
      if (tls["tls.crt"] !== undefined) project("tls", { "tls.crt": tls["tls.crt"], "tls.key": tls["tls.key"] ?? "" });
      const ca = secretOf(`${CONFIG}-ca-bundle`);
      if (ca["ca.crt"] !== undefined) project("ca", { "ca.crt": ca["ca.crt"] });
      const hop = secretOf(`${CONFIG}-federator-hop`);
      if (hop["tls.crt"] !== undefined) project("hop", hop);
      const input = ingressInput();
      const fingerprint = JSON.stringify([input?.ingress["spec"], input?.ingress.metadata.annotations, tls, ca, secretOf(`${CONFIG}-ingress-hop`)]);
      if (nginx !== undefined && input !== undefined && fingerprint !== lastIngress) {
        await nginx.reload(input).catch((error: unknown) => log.warn({ err: error }, "nginx reload failed"));
      }
      lastIngress = fingerprint;
    });
  };
  const informer = (kind: KindName) =>
    new Informer(client, { resource: RESOURCES[kind], namespace: NAMESPACE, labelSelector: `federation.wire.com/config=${CONFIG}`, onChange: () => sync(), log });
  const informers = { configMaps: informer("ConfigMap"), secrets: informer("Secret"), ingress: informer("Ingress") };
  for (const i of Object.values(informers)) i.start();
  stack.push(() => Object.values(informers).forEach((i) => i.stop()));
  await Promise.all(Object.values(informers).map((i) => i.waitForSync()));
  sync();
  await syncing;

  say(`starting the federator of ${options.domain} (${options.reload} mode) on ${options.address}`);
  const listen = ["--internal", `${options.address}:${options.ports.internal}`, "--external", `${options.address}:${options.ports.external}`];
  const node = options.federatorNode ?? { script: "federator/main.ts", flags: [] };
  const args =
    options.reload === "Files"
      ? [...node.flags, node.script, "--config", join(volumes, "config", "federator.yaml"), "--tls-dir", join(volumes, "tls"), "--ca-dir", join(volumes, "ca"), "--hop-dir", join(volumes, "hop"), ...listen]
      : [...node.flags, node.script, "--watch-namespace", NAMESPACE, "--watch-configmap", `${CONFIG}-federator`, "--watch-tls-secret", `${CONFIG}-tls`, "--watch-ca-secret", `${CONFIG}-ca-bundle`, "--watch-hop-secret", `${CONFIG}-federator-hop`, "--kubeconfig", controlPlane.kubeconfigPath, ...listen];
  const federator = launch(`federator-${options.name}`, args, node.env);
  stack.push(() => stopProcess(federator));
  await waitFor(
    async () => {
      if (federator.child.exitCode !== null) throw new Error(`federator of ${options.domain} exited:\n${federator.output.slice(-3000)}`);
      const response = await fetch(`http://${options.address}:${options.ports.internal}/i/status`).catch(() => undefined);
      return response?.status === 200;
    },
    { description: `federator of ${options.domain} serving /i/status`, timeoutMs: 20_000 },
  );

  say(`starting nginx for https://${`federator.${options.domain}`}:${options.ports.ingress}`);
  const input = ingressInput();
  if (input === undefined) throw new Error("the Ingress disappeared");
  nginx = await startNginx(input);
  stack.push(() => nginx?.stop());
  lastIngress = "";
  sync();
  await syncing;

  // The federator process is this backend's one pod: report it available, as the kubelet and the
  // Deployment controller would (the e2e control planes run no controller-manager).
  const deployment = await waitFor(() => get("Deployment", `${CONFIG}-federator`), { description: "federator Deployment" });
  const status = { observedGeneration: deployment.metadata["generation"], replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
  await client.request("PUT", resourcePath(RESOURCES.Deployment, NAMESPACE, `${CONFIG}-federator`, "status"), { body: { ...deployment, status } });
  return { federator };
}
