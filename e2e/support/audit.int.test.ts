// The audit log of the shared control plane counts exactly the writes a client made.
import { describe, expect, inject, it } from "vitest";
import { auditBarrier, countWrites } from "./audit.ts";
import { kubectl as runKubectl } from "./kubectl.ts";
import { useTestNamespace } from "./namespace.ts";

const kubeconfig = inject("kubeconfig");
const auditLog = inject("auditLog");
const kubectl = (args: readonly string[]) => runKubectl(args, { kubeconfig, binary: inject("kubectl") });

describe("countWrites", () => {
  const ns = useTestNamespace(kubeconfig, "audit");

  it("counts creates, patches and deletes in a namespace, and no reads", async () => {
    const since = new Date();
    const filter = { namespace: ns.name, resource: "configmaps", userAgent: "kubectl/" };
    for (const args of [
      ["create", "configmap", "one", "-n", ns.name],
      ["create", "configmap", "two", "-n", ns.name],
      ["get", "configmaps", "-n", ns.name],
      ["label", "configmap", "one", "-n", ns.name, "seen=yes"],
      ["delete", "configmap", "two", "-n", ns.name, "--wait=false"],
    ]) {
      expect((await kubectl(args)).code).toBe(0);
    }
    await auditBarrier(kubeconfig, auditLog);
    expect(await countWrites(auditLog, { ...filter, since })).toBe(4);
    expect(await countWrites(auditLog, { ...filter, since, verbs: ["patch"] })).toBe(1);
    expect(await countWrites(auditLog, { ...filter, since, name: "two" })).toBe(2);
    expect(await countWrites(auditLog, { ...filter, since: new Date() })).toBe(0);
  });
});
