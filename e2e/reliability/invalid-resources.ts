// Malformed FederationConfig/FederationPeer objects a user might write, each with the field the API
// server's refusal must name. The CRD schema (generated from lib/api/v1alpha1.ts) is what refuses them.
const API_VERSION = "federation.wire.com/v1alpha1";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

export interface InvalidCase {
  readonly name: string;
  readonly object: Record<string, unknown>;
  /** The field path the error message must contain, e.g. "spec.domain". */
  readonly field: string;
}

const peer = (name: string, spec: Record<string, unknown>) => ({ apiVersion: API_VERSION, kind: "FederationPeer", metadata: { name }, spec });
const validPeerSpec = { domain: "partner.example", caBundle: { pem: PEM } };
const badPeer = (name: string, field: string, spec: Record<string, unknown>): InvalidCase => ({ name, field, object: peer(name, { ...validPeerSpec, ...spec }) });

const config = (name: string, spec: Record<string, unknown>) => ({ apiVersion: API_VERSION, kind: "FederationConfig", metadata: { name }, spec });
const validConfigSpec = { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} } };
const badConfig = (name: string, field: string, spec: Record<string, unknown>): InvalidCase => ({ name, field, object: config(name, { ...validConfigSpec, ...spec }) });

export const INVALID_CASES: readonly InvalidCase[] = [
  badPeer("fp-upper-case-domain", "spec.domain", { domain: "Partner.Example" }),
  badPeer("fp-underscore-domain", "spec.domain", { domain: "partner_1.example" }),
  badPeer("fp-long-domain", "spec.domain", { domain: `${"a".repeat(250)}.example` }),
  { name: "fp-no-domain", field: "spec.domain", object: peer("fp-no-domain", { caBundle: { pem: PEM } }) },
  badPeer("fp-domain-number", "spec.domain", { domain: 42 }),
  badPeer("fp-bad-infra-domain", "spec.infraDomain", { infraDomain: "federator..example" }),
  badPeer("fp-two-ca-sources", "spec.caBundle", { caBundle: { pem: PEM, secretRef: { name: "partner-ca" } } }),
  badPeer("fp-no-ca-source", "spec.caBundle", { caBundle: {} }),
  badPeer("fp-empty-pem", "spec.caBundle.pem", { caBundle: { pem: "" } }),
  badPeer("fp-bad-secret-name", "spec.caBundle.secretRef.name", { caBundle: { secretRef: { name: "Partner_CA" } } }),
  badPeer("fp-search-policy", "spec.searchPolicy", { searchPolicy: "everything" }),
  badPeer("fp-team-missing", "spec.restriction.teams", { restriction: { type: "RestrictByTeam" } }),
  badPeer("fp-team-with-allow-all", "spec.restriction.teams", { restriction: { type: "AllowAll", teams: ["0b0a1d9e-6f6e-4c52-9a39-1d9b8f3c2a11"] } }),
  badPeer("fp-restriction-type", "spec.restriction.type", { restriction: { type: "AllowSome" } }),
  badPeer("fp-suspend-string", "spec.suspend", { suspend: "true" }),
  badPeer("fp-bad-config-name", "spec.federationConfig", { federationConfig: "Wire Config" }),
  badPeer("fp-unknown-field", "spec.colour", { colour: "blue" }),
  { name: "fc-no-backend-domain", field: "spec.backendDomain", object: config("fc-no-backend-domain", { infraDomain: "federator.a.example", certificate: { selfSigned: {} } }) },
  badConfig("fc-bad-backend-domain", "spec.backendDomain", { backendDomain: "https://a.example" }),
  badConfig("fc-strategy", "spec.strategy", { strategy: "AllowSome" }),
  badConfig("fc-two-certificates", "spec.certificate", { certificate: { selfSigned: {}, secretRef: { name: "wire-tls" } } }),
  badConfig("fc-no-certificate-mode", "spec.certificate", { certificate: {} }),
  badConfig("fc-bad-duration", "spec.certificate.certManager.duration", { certificate: { certManager: { issuerRef: { name: "ca" }, duration: "90 days" } } }),
  badConfig("fc-issuer-kind", "spec.certificate.certManager.issuerRef.kind", { certificate: { certManager: { issuerRef: { name: "ca", kind: "Vault" } } } }),
  badConfig("fc-ingress-mode", "spec.ingress.mode", { ingress: { mode: "Traefik" } }),
  badConfig("fc-verify-depth", "spec.ingress.verifyDepth", { ingress: { verifyDepth: 0 } }),
  badConfig("fc-replicas", "spec.federator.replicas", { federator: { replicas: -1 } }),
  badConfig("fc-port", "spec.federator.ports.internal", { federator: { ports: { internal: 70000 } } }),
  badConfig("fc-service-url", "spec.federator.services.brig", { federator: { services: { brig: "ftp://brig" } } }),
  badConfig("fc-max-body", "spec.federator.maxBodyBytes", { federator: { maxBodyBytes: 10 } }),
  badConfig("fc-dns-server", "spec.federator.dns.server", { federator: { dns: { server: "no port" } } }),
  badConfig("fc-memory", "spec.federator.resources.limits.memory", { federator: { resources: { limits: { memory: "lots" } } } }),
  badConfig("fc-reload", "spec.federator.reload", { federator: { reload: "Poll" } }),
  badConfig("fc-unknown-field", "spec.federator.imageTag", { federator: { imageTag: "latest" } }),
];
