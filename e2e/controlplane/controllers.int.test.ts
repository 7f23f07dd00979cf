// The controller-manager of the shared control plane does what the operator relies on: garbage
// collection through ownerReferences (also from custom resources), Deployments → ReplicaSets →
// Pods, a default ServiceAccount per namespace, and namespace deletion.
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { exampleFederationConfig } from "../../lib/api/examples.ts";
import { kubectl as runKubectl } from "../support/kubectl.ts";
import { createTestNamespace, useTestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";

const kubeconfig = inject("kubeconfig");
const kubectl = (args: readonly string[], stdin?: string) =>
  runKubectl(args, { kubeconfig, binary: inject("kubectl"), ...(stdin === undefined ? {} : { stdin }) });

async function apply(manifest: object): Promise<void> {
  const { code, stderr } = await kubectl(["apply", "-f", "-"], stringify(manifest));
  expect(stderr).toBe("");
  expect(code).toBe(0);
}

async function uidOf(resource: string, name: string, namespace: string): Promise<string> {
  const { stdout } = await kubectl(["get", resource, name, "-n", namespace, "-o", "jsonpath={.metadata.uid}"]);
  expect(stdout).toMatch(/^[0-9a-f-]{36}$/);
  return stdout;
}

async function exists(resource: string, name: string, namespace: string): Promise<boolean> {
  const { code, stderr } = await kubectl(["get", resource, name, "-n", namespace, "-o", "name"]);
  if (code !== 0 && !stderr.includes("NotFound")) throw new Error(stderr);
  return code === 0;
}

describe("kube-controller-manager", () => {
  const ns = useTestNamespace(kubeconfig, "controllers");

  it("garbage-collects a ConfigMap when the FederationConfig that owns it is deleted", async () => {
    await apply({ ...exampleFederationConfig, metadata: { name: "wire", namespace: ns.name } });
    const owner = await uidOf("federationconfig", "wire", ns.name);
    const dependent = (name: string, ownerReferences: object[]) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: ns.name, ownerReferences },
      data: { "federator.yaml": "{}" },
    });
    const reference = { apiVersion: "federation.wire.com/v1alpha1", kind: "FederationConfig", name: "wire", uid: owner, controller: true, blockOwnerDeletion: true };
    await apply(dependent("wire-federator", [reference]));
    await apply(dependent("unowned", []));

    const deleted = await kubectl(["delete", "federationconfig", "wire", "-n", ns.name]);
    expect(deleted.code).toBe(0);

    await waitFor(async () => !(await exists("configmap", "wire-federator", ns.name)), {
      description: "the garbage collector to delete the owned ConfigMap",
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect(await exists("configmap", "unowned", ns.name)).toBe(true);
  });

  it("turns a Deployment into a ReplicaSet and Pods, with the namespace's default ServiceAccount", async () => {
    await apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "federator", namespace: ns.name },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "federator" } },
        template: { metadata: { labels: { app: "federator" } }, spec: { containers: [{ name: "federator", image: "federator:test" }] } },
      },
    });
    const pods = await waitFor(
      async () => {
        const { stdout } = await kubectl(["get", "pods", "-n", ns.name, "-l", "app=federator", "-o", "jsonpath={.items[*].spec.serviceAccountName}"]);
        const names = stdout.split(" ").filter(Boolean);
        return names.length === 2 ? names : undefined;
      },
      { description: "two federator Pods", timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(pods).toEqual(["default", "default"]);
    const { stdout } = await kubectl(["get", "replicasets", "-n", ns.name, "-o", "jsonpath={.items[0].metadata.ownerReferences[0].kind}"]);
    expect(stdout).toBe("Deployment");
  });

  it("removes a deleted namespace together with its contents", async () => {
    const doomed = await createTestNamespace(kubeconfig, "doomed");
    await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "content", namespace: doomed.name } });
    await doomed.delete();
    await waitFor(async () => (await kubectl(["get", "namespace", doomed.name])).code !== 0, {
      description: `namespace ${doomed.name} to be gone`,
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  });
});
