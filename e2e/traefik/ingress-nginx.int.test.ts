// The operator's IngressNginx output served by a real Traefik v3.7 through its ingress-nginx
// provider, against the test API server: mutual TLS against the CA bundle, the verified leaf in
// ssl-client-cert overwriting whatever the client sent, an untrusted CA refused at TLS, and a CA
// bundle change enforced without a restart. The backend is a header-recording server on 127.0.0.1,
// reached through an ExternalName Service, that serves the ingress hop's TLS as the federator does:
// a request reaches it only if Traefik presents the operator's client certificate (proxy-ssl-secret)
// and accepts the hop certificate under the Service's name (proxy-ssl-verify, proxy-ssl-name).
import http from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CertificateAuthority, IssuedCertificate } from "../../lib/certs/issue.ts";
import { freePorts } from "../controlplane/ports.ts";
import { createTestNamespace, type TestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";
import { apply as applyTo, call as callTraefik, federatorService, hopSecrets, impostorSees, operatorObjects as objectsFor, pki, recordingUpstream, type HopSecrets, type Pki, type Upstream } from "./harness.ts";
import { startTraefik, type TraefikProcess } from "./traefik.ts";

const kubeconfig = inject("kubeconfig");
let ns: TestNamespace;
let traefik: TraefikProcess;
let upstream: Upstream;
let port: number;
let plainPort: number;
let keys: Pki;
let hop: HopSecrets;
let seen: Upstream["seen"];
let trusted: IssuedCertificate, untrusted: IssuedCertificate, otherPeerCa: CertificateAuthority;

const apply = (objects: Parameters<typeof applyTo>[1]) => applyTo(kubeconfig, objects);
const operatorObjects = (cas: readonly CertificateAuthority[]) => objectsFor(ns.name, keys.serving, hop, cas, {}, ["Ingress"]);
const call = (client: IssuedCertificate | undefined, headers: Record<string, string> = {}) => callTraefik(port, keys.serverCa, client, headers);
const refusedAtTls = (client: IssuedCertificate) => call(client).then((r) => (r.status === 200 ? undefined : r.status), () => "tls-refused" as const);

beforeAll(async () => {
  keys = await pki();
  ({ trusted, untrusted, otherPeerCa } = keys);
  ns = await createTestNamespace(kubeconfig, "traefik-nginx");
  hop = await hopSecrets(ns.name, {});
  upstream = await recordingUpstream(hop);
  seen = upstream.seen;
  const ingressClass = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } };
  await apply([ingressClass, federatorService(ns.name, upstream.port), ...operatorObjects([keys.peerCa])]);
  [port, plainPort] = (await freePorts(2)) as [number, number];
  // A plain-HTTP entry point too, as a Traefik in front of a cluster usually has (port 80).
  traefik = startTraefik({ kubeconfig, listen: `127.0.0.1:${port}`, args: [`--entrypoints.web.address=127.0.0.1:${plainPort}`, "--providers.kubernetesingressnginx=true", `--providers.kubernetesingressnginx.watchnamespace=${ns.name}`] });
  await waitFor(async () => (await call(trusted).catch(() => undefined))?.status === 200, { description: "Traefik serving the Ingress", timeoutMs: 60_000, intervalMs: 200 }).catch((error: unknown) => {
    throw new Error(`${String(error)}; Traefik said:\n${traefik.output().split("\n").filter((l) => /ERR|WRN|error|ingress/i.test(l)).slice(-15).join("\n")}`);
  });
});

afterAll(async () => {
  await traefik?.stop();
  upstream?.close();
  await ns?.delete();
});

describe("the operator's IngressNginx output on Traefik v3.7's ingress-nginx provider", () => {
  it("carries a request and passes the verified leaf as ssl-client-cert", async () => {
    expect((await call(trusted)).status).toBe(200);
    expect(decodeURIComponent(seen.at(-1)?.["ssl-client-cert"] as string).trim()).toBe(trusted.certificatePem.trim());
  });

  it("overwrites a forged ssl-client-cert from a client holding another valid certificate", async () => {
    const forged = encodeURIComponent(untrusted.certificatePem);
    expect((await call(trusted, { "ssl-client-cert": forged })).status).toBe(200);
    expect(decodeURIComponent(seen.at(-1)?.["ssl-client-cert"] as string).trim()).toBe(trusted.certificatePem.trim());
  });

  it("refuses a client certificate from a CA outside the bundle, and a client without one, at TLS", async () => {
    const before = seen.length;
    expect(await refusedAtTls(untrusted)).toBeDefined();
    expect(await call(undefined).then((r) => r.status, () => "tls-refused")).not.toBe(200);
    expect(seen.length).toBe(before);
  });

  it("only redirects plain HTTP, even with a forged ssl-client-cert and X-Forwarded-Proto: https: nothing reaches the federator", async () => {
    // Traefik gives the host a plain-HTTP router too, without the certificate middleware; only the
    // ssl-redirect annotation keeps it from forwarding the client's own ssl-client-cert over the hop.
    const before = seen.length;
    const forged = encodeURIComponent(trusted.certificatePem);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request({ host: "127.0.0.1", port: plainPort, method: "POST", path: "/federation/brig/get-user", headers: { host: "federator.a.example", "ssl-client-cert": forged, "x-forwarded-proto": "https", "wire-origin-domain": "p0.example" } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.end("{}");
    });
    expect(status).toBe(308);
    expect(seen.length).toBe(before);
  });

  it("hands no request to a federator whose certificate the hop CA did not issue (proxy-ssl-verify)", async () => {
    expect(await impostorSees(kubeconfig, ns.name, {}, {}, upstream, async () => (await call(trusted)).status)).toBe(0);
  });

  it("enforces a CA bundle change without a restart", async () => {
    await apply(operatorObjects([otherPeerCa]));
    await waitFor(async () => (await call(untrusted).catch(() => undefined))?.status === 200, { description: "the new CA trusted", timeoutMs: 30_000, intervalMs: 200 });
    expect(await refusedAtTls(trusted)).toBeDefined();
  });
});
