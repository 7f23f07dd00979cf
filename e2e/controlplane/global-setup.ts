// vitest global setup of the `integration` project: ONE control plane (CRDs installed,
// controller-manager running, audit log on) shared by every integration test file, which reach it
// with `inject("kubeconfig")`, `inject("kubectl")`, `inject("auditLog")`, `inject("server")`,
// `inject("etcdUrl")`.
import type { TestProject } from "vitest/node";
import { ensureMachineReady } from "../prereqs/control-plane.ts";
import { startControlPlane } from "./control-plane.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of an admin kubeconfig (user in system:masters) for the shared control plane. */
    kubeconfig: string;
    /** Path of the kubectl binary that matches the control plane. */
    kubectl: string;
    /** Path of the API server's audit log: every write, JSON lines (see e2e/support/audit.ts). */
    auditLog: string;
    /** The API server URL, https://127.0.0.1:<port>. */
    server: string;
    /** etcd's client URL, for `compactEtcd()` from e2e/controlplane/etcd.ts. */
    etcdUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A missing nginx or dnsmasq is the first failure, with the command to run, not an error in some test.
  await ensureMachineReady("npm test", false, (line) => process.stderr.write(`[prereqs] ${line}\n`));
  const started = Date.now();
  const controlPlane = await startControlPlane({ name: "shared" });
  if (!controlPlane.auditLogPath) throw new Error("the shared control plane runs with an audit log");
  process.stderr.write(`[controlplane] shared control plane ${controlPlane.server} ready in ${Date.now() - started} ms\n`);
  project.provide("kubeconfig", controlPlane.kubeconfigPath);
  project.provide("kubectl", controlPlane.assets.kubectl);
  project.provide("auditLog", controlPlane.auditLogPath);
  project.provide("server", controlPlane.server);
  project.provide("etcdUrl", controlPlane.etcdUrl);
  return () => controlPlane.stop();
}
