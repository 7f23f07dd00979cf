// Parsed FederationConfig/FederationPeer objects and CA certificates for the operator's tests.
import { FederationConfig, FederationPeer, type FederationConfigSpecInput, type FederationPeerSpecInput } from "../../lib/api/v1alpha1.ts";
import { createCertificateAuthority, type CertificateAuthority } from "../../lib/certs/issue.ts";
import type { OwnCertificate } from "../desired/desired.ts";

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
