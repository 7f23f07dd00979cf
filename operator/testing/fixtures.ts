// Parsed FederationConfig/FederationPeer objects and CA certificates for the operator's tests.
import { FederationConfig, FederationPeer, type FederationConfigSpecInput, type FederationPeerSpecInput } from "../../lib/api/v1alpha1.ts";
import { createCertificateAuthority, type CertificateAuthority } from "../../lib/certs/issue.ts";
import type { DesiredInput, OwnCertificate } from "../desired/desired.ts";
import { EMPTY_REFERENCED } from "../desired/referenced.ts";

export function config(spec: Partial<FederationConfigSpecInput> = {}, name = "wire", namespace = "wire"): FederationConfig {
  return FederationConfig.parse({
    apiVersion: "federation.wire.com/v1alpha1",
    kind: "FederationConfig",
    metadata: { name, namespace, uid: "uid-config", generation: 1 },
    spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} }, ...spec },
  });
}

let created = 0;
export function peer(name: string, spec: FederationPeerSpecInput, extra: { creationTimestamp?: string } = {}): FederationPeer {
  created++;
  return FederationPeer.parse({
    apiVersion: "federation.wire.com/v1alpha1",
    kind: "FederationPeer",
    metadata: { name, namespace: "wire", generation: 1, creationTimestamp: extra.creationTimestamp ?? `2026-01-01T00:00:${String(created % 60).padStart(2, "0")}Z` },
    spec,
  });
}

export const readyCertificate: OwnCertificate = {
  ready: { type: "CertificateReady", status: "True", reason: "Valid", message: "ok" },
  secrets: [],
};

export async function ca(commonName: string, options: { notBefore?: Date; validityDays?: number } = {}): Promise<CertificateAuthority> {
  return createCertificateAuthority({ commonName, validityDays: options.validityDays ?? 365, ...(options.notBefore ? { notBefore: options.notBefore } : {}) });
}

/** A converged reconcile's input at `now` (certificate ready, federator rolled out), with `over` on top. */
export function desiredInput(now: Date, over: Partial<DesiredInput> = {}): DesiredInput {
  return { config: config(), peers: [], referenced: EMPTY_REFERENCED, certificate: readyCertificate, rollout: { replicas: 2, availableReplicas: 2 }, now, expiryWarningDays: 30, ...over };
}

/** A FederationConfig `wire` for a.example as a user would apply it (selfSigned), with `spec` on top. */
export const configManifest = (spec: object = {}) => ({
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire" },
  spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} }, ...spec },
});

/** A FederationPeer as a user would apply it. */
export const peerManifest = (name: string, spec: object) => ({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name }, spec });
