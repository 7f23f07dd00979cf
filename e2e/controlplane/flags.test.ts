import { describe, expect, it } from "vitest";
import type { Files } from "./config-files.ts";
import { apiServerArgs, controllerManagerArgs } from "./flags.ts";

const files: Files = {
  ca: "/cp/ca.crt",
  apiServerCert: "/cp/apiserver.crt",
  apiServerKey: "/cp/apiserver.key",
  serviceAccountKey: "/cp/sa.key",
  serviceAccountPublicKey: "/cp/sa.pub",
  adminKubeconfig: "/cp/kubeconfig",
  controllerManagerKubeconfig: "/cp/cm.kubeconfig",
  auditPolicy: "/cp/audit-policy.yaml",
};

describe("kube-apiserver flags", () => {
  const base = { etcdUrl: "http://127.0.0.1:2379", auditLogPath: undefined, watchCache: true };

  it("serves only on loopback, with client certificates and RBAC", () => {
    const args = apiServerArgs("/cp", files, 6443, base);
    expect(args).toEqual(
      expect.arrayContaining(["--bind-address=127.0.0.1", "--secure-port=6443", "--client-ca-file=/cp/ca.crt", "--authorization-mode=RBAC"]),
    );
  });

  it("writes the audit log only when asked, unrotated so counting sees every write", () => {
    expect(apiServerArgs("/cp", files, 6443, base).some((a) => a.startsWith("--audit"))).toBe(false);
    expect(apiServerArgs("/cp", files, 6443, { ...base, auditLogPath: "/cp/audit.log" })).toEqual(
      expect.arrayContaining(["--audit-log-path=/cp/audit.log", "--audit-policy-file=/cp/audit-policy.yaml", "--audit-log-maxsize=0"]),
    );
  });

  it("turns the watch cache off on request", () => {
    expect(apiServerArgs("/cp", files, 6443, { ...base, watchCache: false })).toContain("--watch-cache=false");
  });
});

describe("kube-controller-manager flags", () => {
  it("runs the garbage collector and the controllers the operator relies on, without leader election", () => {
    const args = controllerManagerArgs(files);
    const controllers = args.find((a) => a.startsWith("--controllers="))?.split("=")[1]?.split(",");
    expect(controllers).toEqual(
      expect.arrayContaining(["garbage-collector-controller", "deployment-controller", "replicaset-controller", "serviceaccount-controller", "namespace-controller"]),
    );
    expect(args).toContain("--leader-elect=false");
  });
});
