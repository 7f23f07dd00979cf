// What the Traefik tests share: the operator's desired objects for a config in a test namespace, a
// header-recording upstream in the federator's place behind an ExternalName Service (serving the
// ingress hop's TLS as the federator does: only the controller's client certificate gets through),
// mutual-TLS calls to Traefik's entry point.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type IssuedCertificate } from "../../lib/certs/issue.ts";
import type { FederationConfigSpecInput } from "../../lib/api/v1alpha1.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { desired } from "../../operator/desired/desired.ts";
import { EMPTY_REFERENCED } from "../../operator/desired/referenced.ts";
import { config, peer } from "../../operator/testing/fixtures.ts";
import { hopSecrets, hopServerOptions, type HopSecrets } from "../support/ingress-hop.ts";
import { outputNames } from "../../operator/desired/names.ts";
export { hopSecrets, type HopSecrets } from "../support/ingress-hop.ts";
import { kubectl } from "../support/kubectl.ts";
import { waitFor } from "../support/wait-for.ts";

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
export function operatorObjects(namespace: string, serving: IssuedCertificate, hop: HopSecrets, cas: readonly CertificateAuthority[], spec: Partial<FederationConfigSpecInput>, kinds: readonly string[]): KubeObject[] {
  const state = desired({
    config: config(spec, "wire", namespace),
    peers: cas.map((ca, i) => peer(`p${i}`, { domain: `p${i}.example`, caBundle: { pem: ca.certificatePem } })),
    referenced: EMPTY_REFERENCED,
    certificate: { ready: { type: "CertificateReady", status: "True", reason: "Valid", message: "" }, secrets: [{ name: "wire-tls", type: "kubernetes.io/tls", data: { "tls.crt": serving.chainPem, "tls.key": serving.privateKeyPem } }, ...hop] },
    rollout: undefined,
    now: new Date(),
    expiryWarningDays: 30,
  });
  const names = outputNames("wire");
  const wanted = (o: KubeObject) => kinds.includes(o.kind) || (o.kind === "Secret" && ["wire-tls", "wire-ca-bundle", names.hopClient].includes(o.metadata.name));
  return state.objects.filter(wanted).map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: [] } }));
}

export interface Upstream {
  readonly seen: http.IncomingHttpHeaders[];
  readonly port: number;
  close(): void;
}

/**
 * An HTTPS server on 127.0.0.1 in the federator's place, recording the headers of every request:
 * the hop's server certificate, and a client certificate from the hop CA required, as
 * listen.ingressHop makes the federator's external port.
 */
export async function recordingUpstream(hop: HopSecrets, options: { impostor?: boolean } = {}): Promise<Upstream> {
  const seen: http.IncomingHttpHeaders[] = [];
  // An impostor takes whatever client comes: it wants the requests, not to check who sends them.
  const tls = options.impostor === true ? { ...hopServerOptions(hop), requestCert: false, rejectUnauthorized: false } : hopServerOptions(hop);
  const server = https.createServer(tls, (request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on("end", () => response.end("upstream"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { seen, port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/**
 * Points the federator Service at an impostor with a certificate for the Service's name from another
 * CA (as a pod that took over the Service's address would have) until the controller refuses the
 * route; returns what the impostor received, then points the Service back.
 */
export async function impostorSees(kubeconfig: string, namespace: string, spec: Partial<FederationConfigSpecInput>, annotations: Record<string, string>, upstream: Upstream, probe: () => Promise<number>): Promise<number> {
  const impostor = await recordingUpstream(await hopSecrets(namespace, spec), { impostor: true });
  try {
    await apply(kubeconfig, [federatorService(namespace, impostor.port, annotations)]);
    await waitFor(async () => (await probe().catch(() => 0)) !== 200 || impostor.seen.length > 0, { description: "the controller follows the Service to the impostor", timeoutMs: 30_000, intervalMs: 100 });
    return impostor.seen.length;
  } finally {
    await apply(kubeconfig, [federatorService(namespace, upstream.port, annotations)]);
    await waitFor(async () => (await probe().catch(() => 0)) === 200, { description: "the controller back at the federator's place", timeoutMs: 30_000, intervalMs: 100 });
    impostor.close();
  }
}

/**
 * The federator Service, as ExternalName "localhost": the API server refuses loopback IPs in an
 * IPv4 EndpointSlice, and an FQDN EndpointSlice needs a dotted name, which nothing here resolves to 127.0.0.1.
 * Port and targetPort are the upstream's: Traefik's Ingress provider dials an ExternalName at the
 * Service port, its ingress-nginx provider at the targetPort.
 */
export function federatorService(namespace: string, upstreamPort: number, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "federator", namespace, annotations },
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
