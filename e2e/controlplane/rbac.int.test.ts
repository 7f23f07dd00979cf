// The shared control plane enforces RBAC: an identity can do what its Role grants and nothing more.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceAccountUser, writeImpersonatingKubeconfig } from "../support/impersonate.ts";
import { kubectl as runKubectl } from "../support/kubectl.ts";
import { useTestNamespace } from "../support/namespace.ts";

const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");

describe("RBAC", () => {
  const ns = useTestNamespace(kubeconfig, "rbac");
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rbac-int-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lets a ServiceAccount read FederationPeers only once a RoleBinding grants it", async () => {
    const asOperator = await writeImpersonatingKubeconfig(kubeconfig, { user: serviceAccountUser(ns.name, "operator") }, join(dir, "operator.kubeconfig"));
    const admin = (args: readonly string[]) => runKubectl([...args, "-n", ns.name], { kubeconfig, binary });
    const operator = (args: readonly string[]) => runKubectl([...args, "-n", ns.name], { kubeconfig: asOperator, binary });

    const before = await operator(["get", "federationpeers"]);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toMatch(/forbidden: User "system:serviceaccount:[^"]+:operator" cannot list resource "federationpeers"/);

    expect((await admin(["create", "role", "peer-reader", "--verb=get,list,watch", "--resource=federationpeers.federation.wire.com"])).code).toBe(0);
    expect((await admin(["create", "rolebinding", "operator", "--role=peer-reader", `--serviceaccount=${ns.name}:operator`])).code).toBe(0);

    const after = await operator(["get", "federationpeers"]);
    expect(after.stderr).toMatch(/No resources found/);
    expect(after.code).toBe(0);
    const secrets = await operator(["get", "secrets"]);
    expect(secrets.stderr).toMatch(/cannot list resource "secrets"/);
  });
});
