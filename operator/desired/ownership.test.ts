import { describe, expect, it } from "vitest";
import { config, readyCertificate } from "../testing/fixtures.ts";
import { desired } from "./desired.ts";
import { heldOutputs, ownedBy } from "./ownership.ts";
import { EMPTY_REFERENCED } from "./referenced.ts";

const owner = { name: "wire", uid: "uid-config" };
const meta = (extra: object) => ({ name: "wire-tls", ...extra });
const ref = (name: string, uid: string) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationConfig", name, uid, controller: true, blockOwnerDeletion: true });

describe("ownedBy", () => {
  it.each([
    ["owned by the config", { ownerReferences: [ref("wire", "uid-config")] }, true],
    ["a user's object", { labels: { "app.kubernetes.io/managed-by": "wire-federation-operator", "federation.wire.com/config": "wire" } }, false],
    ["a deleted and re-created config's", { ownerReferences: [ref("wire", "uid-old")] }, false],
    ["another config's", { ownerReferences: [ref("other", "uid-other")] }, false],
    ["cert-manager's Secret for the config's Certificate", { annotations: { "cert-manager.io/certificate-name": "wire-tls" } }, true],
  ])("%s: %s", (_what, extra, expected) => {
    expect(ownedBy({ kind: "Secret", metadata: meta(extra) }, owner)).toBe(expected);
  });
});

describe("heldOutputs", () => {
  const objects = desired({ config: config({ federator: { reload: "Watch" } }), peers: [], referenced: EMPTY_REFERENCED, certificate: readyCertificate, rollout: undefined, now: new Date(), expiryWarningDays: 30 }).objects;
  it("holds what would mount, serve or grant a foreign Secret", () => {
    expect([...heldOutputs(objects, new Set(["Secret/wire-tls"]))].sort()).toEqual(["Deployment/wire-federator", "Ingress/wire-federator", "Role/wire-federator", "Secret/wire-tls"]);
  });
  it("holds the Ingress, not the Deployment, for a foreign Service", () => {
    expect([...heldOutputs(objects, new Set(["Service/federator"]))].sort()).toEqual(["Ingress/wire-federator", "Service/federator"]);
  });
});
