import { describe, expect, it } from "vitest";
import type { KubeObject } from "./objects.ts";
import { editedByOthers } from "./drift.ts";

const desired: KubeObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "wire-federator", annotations: { "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on", "federation.wire.com/applied-hash": "h" } },
  spec: { ingressClassName: "nginx", rules: [{ host: "federator.a.example" }] },
};
const live = (...managedFields: object[]): KubeObject => ({ ...desired, metadata: { ...desired.metadata, managedFields } });
const ours = { manager: "wire-federation-operator", operation: "Apply", fieldsV1: { "f:metadata": { "f:annotations": { "f:nginx.ingress.kubernetes.io/auth-tls-verify-client": {} } }, "f:spec": { "f:rules": {} } } };

describe("editedByOthers", () => {
  it("is false when only we own what we set", () => {
    expect(editedByOthers(live(ours), desired, "wire-federation-operator")).toBe(false);
  });

  it("sees kubectl taking over one of our annotations", () => {
    const annotate = { manager: "kubectl-annotate", operation: "Update", fieldsV1: { "f:metadata": { "f:annotations": { ".": {}, "f:nginx.ingress.kubernetes.io/auth-tls-verify-client": {} } } } };
    expect(editedByOthers(live(ours, annotate), desired, "wire-federation-operator")).toBe(true);
  });

  it("sees an edit inside a list we set", () => {
    const edit = { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:spec": { "f:rules": { 'k:{"host":"evil.example"}': { ".": {}, "f:host": {} } } } } };
    expect(editedByOthers(live(ours, edit), desired, "wire-federation-operator")).toBe(true);
  });

  it("leaves alone fields only others set, and status", () => {
    const controller = { manager: "kube-controller-manager", operation: "Update", fieldsV1: { "f:metadata": { "f:annotations": { "f:deployment.kubernetes.io/revision": {} } } } };
    const ingressStatus = { manager: "nginx-ingress-controller", operation: "Update", subresource: "status", fieldsV1: { "f:status": { "f:loadBalancer": {} } } };
    expect(editedByOthers(live(ours, controller, ingressStatus), desired, "wire-federation-operator")).toBe(false);
  });
});
