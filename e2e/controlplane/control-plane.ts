// An envtest-style Kubernetes control plane for tests and the demo: etcd, kube-apiserver and
// (optionally) kube-controller-manager, built from source, on free loopback ports, with their own
// CA, client-certificate auth, RBAC and an audit log of every write. Several can run at once.
//
//   const cp = await startControlPlane({ name: "backend-a" });
//   await cp.kubectl(["get", "fp", "-A"]);
//   await cp.stop();
import { join } from "node:path";
import { kubectl as runKubectl, type KubectlResult } from "../support/kubectl.ts";
import { adminClient, type AdminClient } from "./admin-client.ts";
import { resolveAssets, type ControlPlaneAssets } from "./assets.ts";
import { writeFiles, type Files } from "./config-files.ts";
import { compactEtcd } from "./etcd.ts";
import { apiServerArgs, controllerManagerArgs, etcdArgs, type ApiServerSettings } from "./flags.ts";
import { installCrds } from "./install-crds.ts";
import { ADMIN_USER, createControlPlanePki, type ControlPlanePki } from "./pki.ts";
import { readyOrPortTaken, startOnFreePorts } from "./ports.ts";
import { startProcess, type ManagedProcess } from "./processes.ts";
import { httpOk, waitUntilReady } from "./readiness.ts";
import { createControlPlaneDir, releaseControlPlaneDir } from "./temp-dirs.ts";

export interface ControlPlaneOptions {
  /** Shows up in the temp dir name and in errors; default "cp". */
  readonly name?: string;
  /** Install `crds/*.yaml` and wait until they are Established (default true). */
  readonly crds?: boolean;
  /** Run kube-controller-manager: garbage collector, deployments, replica sets, service accounts, namespaces (default true). */
  readonly controllerManager?: boolean;
  /** Log every write (create, update, patch, delete) at Metadata level to `auditLogPath` (default true). */
  readonly auditLog?: boolean;
  /**
   * The API server's watch cache (default true). Without it every watch and list reads etcd, so
   * after `compactEtcd()` a watch from an older resourceVersion reliably gets `410 Gone`.
   */
  readonly watchCache?: boolean;
  /** Deadline for each component to become ready (default 90 s). */
  readonly readyTimeoutMs?: number;
}

export interface ControlPlane {
  readonly name: string;
  /** Temp directory holding keys, logs, etcd data; removed by stop(). */
  readonly dir: string;
  /** An admin kubeconfig (user in system:masters) for kubectl and @kubernetes/client-node. */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** The audit log (JSON lines), or undefined when started with auditLog: false. */
  readonly auditLogPath: string | undefined;
  /** The user name the admin kubeconfig authenticates as. */
  readonly adminUser: string;
  /** http://127.0.0.1:<port> of etcd (no TLS, loopback only). */
  readonly etcdUrl: string;
  readonly assets: ControlPlaneAssets;
  /** Runs kubectl with this control plane's kubeconfig. */
  kubectl(args: readonly string[], options?: { stdin?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Stops kube-apiserver only (etcd and its data stay). */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and etcd data, and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** Compacts etcd up to its current revision (returned): older resourceVersions become `410 Gone`. */
  compactEtcd(): Promise<number>;
  /** Stops every process and removes the temp directory. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Child environment without proxies: everything here is loopback. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/_proxy$/i.test(key)));
}

/** What the start-up steps share; the processes are filled in as they start. */
interface Launch {
  readonly name: string;
  readonly dir: string;
  readonly assets: ControlPlaneAssets;
  readonly env: NodeJS.ProcessEnv;
  readonly readyTimeoutMs: number;
  readonly processes: { etcd?: ManagedProcess; apiServer?: ManagedProcess; controllerManager?: ManagedProcess };
}

async function startEtcd(launch: Launch): Promise<string> {
  const { ports } = await startOnFreePorts(2, ([clientPort = 0, peerPort = 0]) => {
    const child = startProcess({
      name: `${launch.name}/etcd`,
      command: launch.assets.etcd,
      args: etcdArgs(launch.dir, clientPort, peerPort),
      logPath: join(launch.dir, "etcd.log"),
      env: launch.env,
    });
    launch.processes.etcd = child;
    const ready = () => httpOk(`http://127.0.0.1:${clientPort}/health`);
    return readyOrPortTaken({ child, description: `etcd (${launch.name}) to be healthy`, ready, timeoutMs: launch.readyTimeoutMs });
  });
  return `http://127.0.0.1:${ports[0]}`;
}

interface ApiServer {
  readonly server: string;
  readonly files: Files;
  readonly client: AdminClient;
  /** Starts kube-apiserver (again) with the same flags and waits for /readyz. */
  launch(): Promise<ManagedProcess>;
}

function readyzCheck(client: AdminClient): () => Promise<boolean> {
  return async () => {
    const { status, text } = await client.request("GET", "/readyz?verbose", undefined, 2_000);
    if (status === 200) return true;
    // The failing checks ("[-]etcd failed: ...") become the last error of the wait.
    const failing = text.split("\n").filter((line) => line.startsWith("[-]")).join("; ");
    throw new Error(`/readyz answered HTTP ${status}: ${failing || text.slice(0, 300)}`);
  };
}

async function startApiServer(launch: Launch, pki: ControlPlanePki, settings: ApiServerSettings): Promise<ApiServer> {
  let started: ApiServer | undefined;
  await startOnFreePorts(1, async ([port = 0]) => {
    const server = `https://127.0.0.1:${port}`;
    // The kubeconfigs name the port, so they are (re)written for each attempt.
    const files = await writeFiles(launch.dir, launch.name, server, pki);
    const client = adminClient(server, { caPem: pki.ca.certificatePem, ...pki.admin });
    const description = `kube-apiserver (${launch.name}) /readyz`;
    const spawnApiServer = (): ManagedProcess => {
      const child = startProcess({
        name: `${launch.name}/kube-apiserver`,
        command: launch.assets.kubeApiServer,
        args: apiServerArgs(launch.dir, files, port, settings),
        logPath: join(launch.dir, "kube-apiserver.log"),
        env: launch.env,
      });
      launch.processes.apiServer = child;
      return child;
    };
    started = {
      server,
      files,
      client,
      async launch() {
        const child = spawnApiServer();
        await waitUntilReady(child, readyzCheck(client), description, launch.readyTimeoutMs);
        return child;
      },
    };
    return readyOrPortTaken({ child: spawnApiServer(), description, ready: readyzCheck(client), timeoutMs: launch.readyTimeoutMs });
  });
  if (!started) throw new Error("unreachable: kube-apiserver started without its settings");
  return started;
}

async function startControllerManager(launch: Launch, apiServer: ApiServer): Promise<void> {
  const child = startProcess({
    name: `${launch.name}/kube-controller-manager`,
    command: launch.assets.kubeControllerManager,
    args: controllerManagerArgs(apiServer.files),
    logPath: join(launch.dir, "kube-controller-manager.log"),
    env: launch.env,
  });
  launch.processes.controllerManager = child;
  // The serviceaccount controller creating "default" shows the controllers are running.
  const path = "/api/v1/namespaces/default/serviceaccounts/default";
  await waitUntilReady(
    child,
    async () => (await apiServer.client.request("GET", path)).status === 200,
    `kube-controller-manager (${launch.name}) to create the default ServiceAccount`,
    launch.readyTimeoutMs,
  );
}

async function stopAll(launch: Launch): Promise<void> {
  await launch.processes.controllerManager?.stop();
  await launch.processes.apiServer?.stop();
  await launch.processes.etcd?.stop();
  await releaseControlPlaneDir(launch.dir);
}

/** Starts a control plane; on any failure everything already started is stopped again. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const { name = "cp", crds = true, controllerManager = true, auditLog = true, watchCache = true, readyTimeoutMs = 90_000 } = options;
  const assets = await resolveAssets();
  const dir = await createControlPlaneDir(name);
  const launch: Launch = { name, dir, assets, env: childEnv(), readyTimeoutMs, processes: {} };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll(launch));

  try {
    const pki = await createControlPlanePki();
    const etcdUrl = await startEtcd(launch);
    const auditLogPath = auditLog ? join(dir, "audit.log") : undefined;
    const apiServer = await startApiServer(launch, pki, { etcdUrl, auditLogPath, watchCache });
    // CRDs first: the garbage collector discovers resource types at start (then only every 30 s).
    if (crds) await installCrds(apiServer.client, readyTimeoutMs);
    if (controllerManager) await startControllerManager(launch, apiServer);
    const kubeconfigPath = apiServer.files.adminKubeconfig;
    return {
      name,
      dir,
      kubeconfigPath,
      server: apiServer.server,
      auditLogPath,
      adminUser: ADMIN_USER,
      etcdUrl,
      assets,
      kubectl: (args, opts) => runKubectl(args, { kubeconfig: kubeconfigPath, binary: assets.kubectl, ...opts }),
      async stopApiServer() {
        await launch.processes.apiServer?.stop();
      },
      async startApiServer() {
        if (launch.processes.apiServer?.hasExited() === false) return;
        await apiServer.launch();
      },
      compactEtcd: () => compactEtcd(etcdUrl),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
