// What the Traefik tests share: the operator's desired objects for a config in a test namespace, a
// header-recording upstream behind an ExternalName Service, mutual-TLS calls to Traefik's entry point.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/certs/issue.ts";
import type { FederationConfigSpecInput } from "../../lib/api/v1alpha1.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { desired } from "../../operator/desired/desired.ts";
import { EMPTY_REFERENCED } from "../../operator/desired/referenced.ts";
import { config, peer } from "../../operator/testing/fixtures.ts";
import { kubectl } from "../support/kubectl.ts";

export interface Pki {
  readonly serverCa: CertificateAuthority;
  readonly peerCa: CertificateAuthority;
  readonly otherPeerCa: CertificateAuthority;
  /** Our certificate for federator.a.example (the router's). */
  readonly serving: IssuedCertificate;
  /** A remote's client certificate from peerCa, and one from otherPeerCa. */
  readonly trusted: IssuedCertificate;
  readonly untrusted: IssuedCertificate;
}

export async function pki(): Promise<Pki> {
  const [serverCa, peerCa, otherPeerCa] = (await Promise.all(["Server CA", "Peer CA", "Other peer CA"].map((commonName) => createCertificateAuthority({ commonName, validityDays: 30 })))) as [CertificateAuthority, CertificateAuthority, CertificateAuthority];
  return {
    serverCa,
    peerCa,
    otherPeerCa,
    serving: await issueCertificate({ ca: serverCa, dnsNames: ["federator.a.example"], validityDays: 30 }),
    trusted: await issueCertificate({ ca: peerCa, dnsNames: ["federator.p0.example"], validityDays: 30 }),
    untrusted: await issueCertificate({ ca: otherPeerCa, dnsNames: ["federator.p1.example"], validityDays: 30 }),
  };
}

export async function apply(kubeconfig: string, objects: readonly KubeObject[]): Promise<void> {
  const result = await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=test", "-f", "-"], { kubeconfig, stdin: objects.map((o) => JSON.stringify(o)).join("\n") });
  if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr}`);
}

/** The operator's objects for FederationConfig `wire` in `namespace` trusting `cas`, but the Deployment and its kin. */
export function operatorObjects(namespace: string, serving: IssuedCertificate, cas: readonly CertificateAuthority[], spec: Partial<FederationConfigSpecInput>, kinds: readonly string[]): KubeObject[] {
  const state = desired({
    config: config(spec, "wire", namespace),
    peers: cas.map((ca, i) => peer(`p${i}`, { domain: `p${i}.example`, caBundle: { pem: ca.certificatePem } })),
    referenced: EMPTY_REFERENCED,
    certificate: { ready: { type: "CertificateReady", status: "True", reason: "Valid", message: "" }, secrets: [{ name: "wire-tls", type: "kubernetes.io/tls", data: { "tls.crt": serving.chainPem, "tls.key": serving.privateKeyPem } }] },
    rollout: undefined,
    now: new Date(),
    expiryWarningDays: 30,
  });
  const wanted = (o: KubeObject) => kinds.includes(o.kind) || (o.kind === "Secret" && ["wire-tls", "wire-ca-bundle"].includes(o.metadata.name));
  return state.objects.filter(wanted).map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: [] } }));
}

export interface Upstream {
  readonly seen: http.IncomingHttpHeaders[];
  readonly port: number;
  close(): void;
}

/** An HTTP server on 127.0.0.1 recording the headers of every request (the federator's place). */
export async function recordingUpstream(): Promise<Upstream> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on("end", () => response.end("upstream"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { seen, port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/**
 * The federator Service, as ExternalName "localhost": the API server refuses loopback IPs in an
 * IPv4 EndpointSlice, and an FQDN EndpointSlice needs a dotted name, which nothing here resolves to 127.0.0.1.
 * Port and targetPort are the upstream's: Traefik's Ingress provider dials an ExternalName at the
 * Service port, its ingress-nginx provider at the targetPort.
 */
export function federatorService(namespace: string, upstreamPort: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "federator", namespace },
    spec: { type: "ExternalName", externalName: "localhost", ports: [{ name: "federator-ext", port: upstreamPort, targetPort: upstreamPort, protocol: "TCP" }] },
  };
}

/** A POST to Traefik's entry point as a remote federator makes it, with `client`'s certificate (or none). */
export function call(port: number, serverCa: CertificateAuthority, client: IssuedCertificate | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: "127.0.0.1", port, path: "/federation/brig/get-user", method: "POST", agent: false, headers: { host: "federator.a.example", ...headers }, servername: "federator.a.example", ca: serverCa.certificatePem, ...(client ? { cert: client.chainPem, key: client.privateKeyPem } : {}) },
      (response) => {
        let body = "";
        response.on("data", (c: Buffer) => (body += c.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end("{}");
  });
}
