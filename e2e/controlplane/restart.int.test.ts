// A second control plane of its own (next to the shared one): the API server restarts on the same
// etcd data without losing anything, and control planes running side by side share nothing.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { exampleFederationConfig, exampleFederationPeer } from "../../lib/api/examples.ts";
import { kubectl } from "../support/kubectl.ts";
import { startControlPlane, type ControlPlane } from "./control-plane.ts";

function tcpConnect(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.destroy();
      resolve();
    });
    socket.on("error", reject);
  });
}

describe("a control plane of its own", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane({ name: "restart", controllerManager: false, auditLog: false, watchCache: false });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it("shares nothing with the shared control plane running at the same time", async () => {
    expect(cp.server).not.toBe(inject("server"));
    expect((await cp.kubectl(["create", "namespace", "only-in-restart"])).code).toBe(0);
    const elsewhere = await kubectl(["get", "namespace", "only-in-restart"], { kubeconfig: inject("kubeconfig"), binary: inject("kubectl") });
    expect(elsewhere.stderr).toMatch(/NotFound/);
  });

  it("removes its processes and temp directory on stop", async () => {
    const other = await startControlPlane({ name: "short-lived", crds: false, controllerManager: false, auditLog: false });
    expect(existsSync(other.kubeconfigPath)).toBe(true);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    await expect(tcpConnect(new URL(other.server))).rejects.toThrow(/ECONNREFUSED/);
    const gone = await kubectl(["get", "namespaces", "--request-timeout=2s"], { kubeconfig: cp.kubeconfigPath, binary: inject("kubectl") });
    expect(gone.code).toBe(0); // ours still runs
  });

  it("answers 410 Gone to a watch from a resourceVersion etcd has compacted", async () => {
    const created = await cp.kubectl(["create", "configmap", "watched", "-o", "jsonpath={.metadata.resourceVersion}"]);
    expect(created.code).toBe(0);
    const path = `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${created.stdout}&timeoutSeconds=1`;
    const watch = () => cp.kubectl(["get", "--raw", path]);
    expect((await cp.kubectl(["label", "configmap", "watched", "round=1"])).code).toBe(0);
    expect((await watch()).stdout).toContain('"type":"MODIFIED"');

    // Compaction must pass the watch's start revision, hence one more write first.
    expect((await cp.kubectl(["create", "configmap", "later"])).code).toBe(0);
    await cp.compactEtcd();
    const gone = await watch();
    expect(gone.stdout).toMatch(/"type":"ERROR".*"code":410/);
  });

  it("keeps every object when the API server restarts on the same etcd data", async () => {
    expect((await cp.kubectl(["create", "namespace", "wire"])).code).toBe(0);
    const manifests = [exampleFederationConfig, exampleFederationPeer].map((m) => stringify(m)).join("---\n");
    expect((await cp.kubectl(["apply", "-f", "-"], { stdin: manifests })).code).toBe(0);
    expect((await cp.kubectl(["create", "configmap", "partner-ca", "-n", "wire", "--from-literal=ca.crt=pem"])).code).toBe(0);
    const snapshot = ["get", "namespace/wire", "fc/wire", "fp/partner", "configmap/partner-ca", "-n", "wire", "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name}/{.metadata.uid}/{.metadata.resourceVersion}{'\\n'}{end}"];
    const before = await cp.kubectl(snapshot);
    expect(before.stdout.trim().split("\n")).toHaveLength(4);

    await cp.stopApiServer();
    const down = await cp.kubectl(["get", "namespaces", "--request-timeout=2s"]);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/refused/);

    await cp.startApiServer();
    const after = await cp.kubectl(snapshot);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
  });
});
