// The operator's Traefik (native) output on a real Traefik v3.7 (its Kubernetes Ingress and CRD
// providers, Traefik's own CRDs from its module), against the test API server: the TLSOption makes
// the router require and verify a client certificate against the CA bundle, the passTLSClientCert
// Middleware passes the verified leaf as X-Forwarded-Tls-Client-Cert, overwriting a forged one; an
// untrusted CA is refused at TLS, and a CA bundle change is enforced without a restart. The hop to the
// federator's place (a recording server serving the hop's TLS) goes through the ServersTransport the
// federator Service names: Traefik must present the operator's client certificate to get through.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CertificateAuthority, IssuedCertificate } from "../../lib/certs/issue.ts";
import { parseTraefikCertificateHeader } from "../../federator/client-certificate.ts";
import { freePorts } from "../controlplane/ports.ts";
import { kubectl } from "../support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";
import { apply as applyTo, call as callTraefik, federatorService, hopSecrets, impostorSees, operatorObjects, pki, recordingUpstream, type HopSecrets, type Pki, type Upstream } from "./harness.ts";
import { traefikServiceAnnotations } from "../../operator/desired/ingress-traefik.ts";
import { config } from "../../operator/testing/fixtures.ts";
import { startTraefik, type TraefikProcess } from "./traefik.ts";

const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");
let ns: TestNamespace;
let traefik: TraefikProcess;
let upstream: Upstream;
let port: number;
let keys: Pki;
let hop: HopSecrets;
const SPEC = { ingress: { provider: "Traefik", className: "traefik" } } as const;

const apply = (objects: Parameters<typeof applyTo>[1]) => applyTo(kubeconfig, objects);
const objects = (cas: readonly CertificateAuthority[]) => operatorObjects(ns.name, keys.serving, hop, cas, SPEC, ["Ingress", "TLSOption", "Middleware", "ServersTransport"]);
const call = (client: IssuedCertificate | undefined, headers: Record<string, string> = {}) => callTraefik(port, keys.serverCa, client, headers);
const refusedAtTls = (client: IssuedCertificate) => call(client).then((r) => (r.status === 200 ? undefined : r.status), () => "tls-refused" as const);

/** The subject of the leaf the federator would read from the last request's header. */
function forwardedLeafSubject(): string | undefined {
  const parsed = parseTraefikCertificateHeader(upstream.seen.at(-1)?.["x-forwarded-tls-client-cert"]);
  return parsed.ok ? parsed.certificate.x509.subject : undefined;
}

beforeAll(async () => {
  const crds = spawnSync("bash", [join(import.meta.dirname, "crds.sh")], { encoding: "utf8" });
  expect(crds.status, crds.stderr).toBe(0);
  const installed = await kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds.stdout.trim()], { kubeconfig, binary });
  expect(installed.code, installed.stderr).toBe(0);
  await kubectl(["wait", "--for=condition=Established", "crd/tlsoptions.traefik.io", "crd/middlewares.traefik.io", "crd/serverstransports.traefik.io", "--timeout=60s"], { kubeconfig, binary });
  keys = await pki();
  ns = await createTestNamespace(kubeconfig, "traefik-native");
  hop = await hopSecrets(ns.name, SPEC);
  upstream = await recordingUpstream(hop);
  const ingressClass = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "traefik" }, spec: { controller: "traefik.io/ingress-controller" } };
  await apply([ingressClass, federatorService(ns.name, upstream.port, traefikServiceAnnotations(config(SPEC, "wire", ns.name))), ...objects([keys.peerCa])]);
  [port] = (await freePorts(1)) as [number];
  traefik = startTraefik({
    kubeconfig,
    listen: `127.0.0.1:${port}`,
    // ExternalName (see harness.ts) must be allowed explicitly in this provider; a real federator Service has endpoints.
    args: ["--providers.kubernetesingress=true", "--providers.kubernetesingress.allowExternalNameServices=true", `--providers.kubernetesingress.namespaces=${ns.name}`, "--providers.kubernetescrd=true", `--providers.kubernetescrd.namespaces=${ns.name}`],
  });
  await waitFor(async () => (await call(keys.trusted).catch(() => undefined))?.status === 200, { description: "Traefik serving the Ingress", timeoutMs: 60_000, intervalMs: 200 }).catch((error: unknown) => {
    throw new Error(`${String(error)}; Traefik said:\n${traefik.output().split("\n").filter((l) => /ERR|WRN|error/i.test(l)).slice(-15).join("\n")}`);
  });
});

afterAll(async () => {
  await traefik?.stop();
  upstream?.close();
  await ns?.delete();
});

describe("the operator's Traefik output on Traefik v3.7 (Kubernetes Ingress + CRD providers)", () => {
  it("carries a request and passes the verified leaf as X-Forwarded-Tls-Client-Cert", async () => {
    expect((await call(keys.trusted)).status).toBe(200);
    expect(forwardedLeafSubject()).toBe("CN=federator.p0.example");
  });

  it("overwrites a forged X-Forwarded-Tls-Client-Cert from a client holding another valid certificate", async () => {
    const forged = Buffer.from(keys.untrusted.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64").toString("base64");
    expect((await call(keys.trusted, { "x-forwarded-tls-client-cert": forged })).status).toBe(200);
    expect(forwardedLeafSubject()).toBe("CN=federator.p0.example");
  });

  it("refuses a client certificate from a CA outside the bundle, and a client without one, at TLS", async () => {
    const before = upstream.seen.length;
    expect(await refusedAtTls(keys.untrusted)).toBeDefined();
    expect(await call(undefined).then((r) => r.status, () => "tls-refused")).not.toBe(200);
    expect(upstream.seen.length).toBe(before);
  });

  it("hands no request to a federator whose certificate the hop CA did not issue (ServersTransport rootCAs)", async () => {
    const annotations = traefikServiceAnnotations(config(SPEC, "wire", ns.name));
    expect(await impostorSees(kubeconfig, ns.name, SPEC, annotations, upstream, async () => (await call(keys.trusted)).status)).toBe(0);
  });

  it("enforces a CA bundle change without a restart", async () => {
    await apply(objects([keys.otherPeerCa]));
    await waitFor(async () => (await call(keys.untrusted).catch(() => undefined))?.status === 200, { description: "the new CA trusted", timeoutMs: 30_000, intervalMs: 200 });
    expect(await refusedAtTls(keys.trusted)).toBeDefined();
  });
});
