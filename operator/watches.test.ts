import { describe, expect, it } from "vitest";
import type { KubeObject } from "../lib/kube/objects.ts";
import { CONFIG_LABEL } from "./desired/names.ts";
import { ORPHANS, trimPeer, WATCHES, type Change } from "./watches.ts";

const object = (kind: string, name: string, extra: Partial<KubeObject["metadata"]> = {}, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind,
  metadata: { name, namespace: "wire", generation: 1, resourceVersion: "1", ...extra },
  ...rest,
});
const rule = (kind: string) => {
  const found = WATCHES.find((w) => w.kind === kind);
  if (found === undefined) throw new Error(`no rule for ${kind}`);
  return found;
};
const change = (name: string, next: KubeObject | undefined, previous: KubeObject | undefined): Change => ({ namespace: "wire", name, object: next, previous });
const configs = () => ["wire", "other"];

describe("the watch table", () => {
  it("queues every config of the namespace and the orphan report when a peer is created, changed or deleted", () => {
    const peer = object("FederationPeer", "b");
    const changed = object("FederationPeer", "b", { generation: 2, resourceVersion: "2" });
    for (const c of [change("b", peer, undefined), change("b", changed, peer), change("b", undefined, peer)]) {
      expect(rule("FederationPeer").keys(c, configs)).toEqual(["wire", "other", ORPHANS]);
    }
  });

  it("ignores the operator's own status writes on peers and configs (same generation, labels and annotations)", () => {
    for (const kind of ["FederationPeer", "FederationConfig"]) {
      const before = object(kind, "wire");
      const after = object(kind, "wire", { resourceVersion: "2" }, { status: { conditions: [] } });
      expect(rule(kind).keys(change("wire", after, before), configs)).toEqual([]);
    }
  });

  it("reconciles a config whose annotations changed (kubectl annotate asks for a reconcile)", () => {
    const before = object("FederationConfig", "wire");
    const after = object("FederationConfig", "wire", { resourceVersion: "2", annotations: { touched: "now" } });
    expect(rule("FederationConfig").keys(change("wire", after, before), configs)).toEqual(["wire", "other", ORPHANS]);
  });

  it("sends a change of an output to the config named by its label, any change (a Deployment's status too)", () => {
    const before = object("Deployment", "wire-federator", { labels: { [CONFIG_LABEL]: "wire" } });
    const after = object("Deployment", "wire-federator", { labels: { [CONFIG_LABEL]: "wire" }, resourceVersion: "2" }, { status: { availableReplicas: 1 } });
    expect(rule("Deployment").keys(change("wire-federator", after, before), configs)).toEqual(["wire"]);
    expect(rule("Deployment").keys(change("wire-federator", undefined, before), configs)).toEqual(["wire"]);
  });

  it("keeps no managedFields or kubectl copy of a peer, and shares one copy of a CA that several peers carry", () => {
    const pem = () => ["-----BEGIN CERTIFICATE-----", "MIIB", "-----END CERTIFICATE-----"].join("\n");
    const peer = (name: string) =>
      object("FederationPeer", name, { managedFields: [{ manager: "kubectl" }], annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", kept: "yes" } }, { spec: { caBundle: { pem: pem() } } });
    const [a, b] = [trimPeer(peer("a")), trimPeer(peer("b"))];
    expect(a.metadata["managedFields"]).toBeUndefined();
    expect(a.metadata.annotations).toEqual({ kept: "yes" });
    expect((a["spec"] as { caBundle: { pem: string } }).caBundle.pem).toBe(pem());
    // Strings compare by value; that both come from one intern table is what saves the memory.
    expect((a["spec"] as { caBundle: { pem: string } }).caBundle.pem).toBe((b["spec"] as { caBundle: { pem: string } }).caBundle.pem);
  });
});
