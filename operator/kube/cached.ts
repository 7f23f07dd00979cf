// What the controller reads of each cached kind, typed once here (the informer takes the API
// server's objects to be of these shapes) so that reconcile code does not cast. Our kinds' specs
// are parsed with their zod schemas where they are used; built-ins use client-node's types (types
// only: nothing of client-node is loaded at run time).
import type { V1Deployment } from "@kubernetes/client-node";
import type { FederationConfigStatus, FederationPeerStatus } from "../../lib/api/v1alpha1.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";

export interface CachedConfig extends KubeObject {
  readonly spec?: { readonly federator?: { readonly serviceName?: unknown } };
  readonly status?: FederationConfigStatus;
}

export interface CachedPeer extends KubeObject {
  readonly spec?: { readonly federationConfig?: string; readonly caBundle?: { readonly pem?: unknown } };
  readonly status?: FederationPeerStatus;
}

export interface CachedDeployment extends KubeObject {
  readonly spec?: Pick<NonNullable<V1Deployment["spec"]>, "replicas">;
  readonly status?: Pick<NonNullable<V1Deployment["status"]>, "availableReplicas">;
}
