// The design's example objects (DESIGN §3 and §5.4), shared by tests, docs and the demo.
import type { FederatorConfigInput } from "./federator-config.ts";

export const exampleFederationConfig = {
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire", namespace: "wire" },
  spec: {
    backendDomain: "example.com",
    infraDomain: "federator.infra.example.com",
    strategy: "AllowList",
    ingress: { className: "nginx", verifyDepth: 2 },
    certificate: { selfSigned: { duration: "2160h" } },
    trust: { useSystemCAStore: false },
    federator: {
      replicas: 2,
      services: { brig: "http://brig:8080", galley: "http://galley:8080", cargohold: "http://cargohold:8080" },
      reload: "Watch",
    },
  },
} as const;

export const exampleFederationPeer = {
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationPeer",
  metadata: { name: "partner", namespace: "wire" },
  spec: {
    domain: "partner.example.org",
    searchPolicy: "full_search",
    restriction: { type: "AllowAll" },
  },
} as const;

export const exampleRestrictedPeer = {
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationPeer",
  metadata: { name: "supplier", namespace: "wire" },
  spec: {
    domain: "supplier.example.net",
    infraDomain: "federator.supplier.example.net",
    searchPolicy: "exact_handle_search",
    restriction: { type: "RestrictByTeam", teams: ["8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30"] },
  },
} as const;

export const exampleFederatorConfig: FederatorConfigInput = {
  backendDomain: "example.com",
  infraDomain: "federator.infra.example.com",
  strategy: "AllowList",
  remotes: [{ domain: "partner.example.org", infraDomain: null, searchPolicy: "full_search", restriction: { type: "AllowAll" } }],
  services: { brig: "http://brig:8080", galley: "http://galley:8080", cargohold: "http://cargohold:8080" },
  dns: { server: null },
  listen: { internal: "0.0.0.0:8080", external: "0.0.0.0:8081", externalTLS: false, clientCertificateHeader: "ssl-client-cert" },
  tls: { certFile: "/etc/federator/tls/tls.crt", keyFile: "/etc/federator/tls/tls.key", caBundleFile: "/etc/federator/ca/ca.crt", useSystemCAStore: false },
};
