// The federation e2e through a real Traefik v3.7, once per way the operator drives it: its
// ingress-nginx provider with the operator's IngressNginx output, and its own Ingress + CRD providers
// with the Traefik output. A's federator (egress, mutual TLS) → Traefik (client certificate checked
// against N's CA bundle, passed on in the controller's header) → the ingress hop's TLS (the operator's
// client certificate) → N's federator (header mode, listen.ingressHop) → N's brig. Objects are the
// operator's desired() for N, applied to the test API server; federators and DNS as in the federator
// tests (federator/testing/world.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { FederationConfigSpecInput } from "../../lib/api/v1alpha1.ts";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { federatorCertificateHeader } from "../../operator/desired/ingress.ts";
import { traefikServiceAnnotations } from "../../operator/desired/ingress-traefik.ts";
import { outputNames } from "../../operator/desired/names.ts";
import { config } from "../../operator/testing/fixtures.ts";
import { ingressCall, json, rpc, type Backend } from "../../federator/testing/backends.ts";
import { federatorCertificate, nginxEscape, testCa } from "../../federator/testing/pki.ts";
import { baseConfig, startWorld, type World } from "../../federator/testing/world.ts";
import { freePorts } from "../controlplane/ports.ts";
import { kubectl } from "../support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";
import { apply as applyTo, federatorService, hopSecrets, operatorObjects } from "./harness.ts";
import { startTraefik, type TraefikProcess } from "./traefik.ts";

const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");

interface Mode {
  readonly name: string;
  readonly spec: Partial<FederationConfigSpecInput>;
  readonly kinds: readonly string[];
  readonly providers: readonly string[];
  /** The header a client would forge: the one this mode's federator reads. */
  readonly forge: (pem: string) => Record<string, string>;
}

const N = { backendDomain: "n.example", infraDomain: "federator.n.example" } as const;
const MODES: readonly Mode[] = [
  {
    name: "Traefik's ingress-nginx provider, IngressNginx output",
    spec: { ...N },
    kinds: ["Ingress"],
    providers: ["--providers.kubernetesingressnginx=true"],
    forge: (pem) => ({ "ssl-client-cert": nginxEscape(pem) }),
  },
  {
    name: "Traefik's Ingress and CRD providers, Traefik output",
    spec: { ...N, ingress: { provider: "Traefik", className: "traefik" } },
    kinds: ["Ingress", "TLSOption", "Middleware", "ServersTransport"],
    providers: ["--providers.kubernetesingress=true", "--providers.kubernetesingress.allowExternalNameServices=true", "--providers.kubernetescrd=true"],
    forge: (pem) => ({ "x-forwarded-tls-client-cert": Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64").toString("base64") }),
  },
];

let world: World;
beforeAll(async () => {
  world = await startWorld({ aRemotes: ["n.example"] });
  const crds = spawnSync("bash", [join(import.meta.dirname, "crds.sh")], { encoding: "utf8" });
  expect(crds.status, crds.stderr).toBe(0);
  const installed = await kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds.stdout.trim()], { kubeconfig, binary });
  expect(installed.code, installed.stderr).toBe(0);
  await kubectl(["wait", "--for=condition=Established", "crd/tlsoptions.traefik.io", "crd/middlewares.traefik.io", "crd/serverstransports.traefik.io", "--timeout=60s"], { kubeconfig, binary });
});
afterAll(async () => {
  await world?.close();
});

describe.each(MODES)("federation through $name", (mode) => {
  let ns: TestNamespace;
  let n: Backend;
  let traefik: TraefikProcess;
  let port: number;

  beforeAll(async () => {
    ns = await createTestNamespace(kubeconfig, "traefik-fed");
    const hop = await hopSecrets(ns.name, mode.spec);
    const names = outputNames("wire");
    const hopCA = hop.find((s) => s.name === names.hopCA)!.data;
    const hopServer = hop.find((s) => s.name === names.hopServer)!.data;
    const header = federatorCertificateHeader(config(mode.spec, "wire", ns.name));
    n = await world.addBackend("n", "127.0.0.1", {
      config: { ...baseConfig("n", world.dns.address, ["a.example"]), listen: { externalTLS: false, clientCertificateHeader: header } },
      hop: { ca: { certificatePem: hopCA["tls.crt"]!, privateKeyPem: hopCA["tls.key"]! }, server: { certificatePem: hopServer["tls.crt"]!, privateKeyPem: hopServer["tls.key"]!, chainPem: hopServer["tls.crt"]! } },
    });
    const serving = await federatorCertificate(world.ca, N.infraDomain);
    const annotations = mode.spec.ingress?.provider === "Traefik" ? traefikServiceAnnotations(config(mode.spec, "wire", ns.name)) : {};
    const objects: KubeObject[] = [
      { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } },
      { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "traefik" }, spec: { controller: "traefik.io/ingress-controller" } },
      federatorService(ns.name, n.externalPort, annotations),
      // N's CA bundle holds A's CA (world.ca), as A's FederationPeer would put it there.
      ...operatorObjects(ns.name, serving, hop, [world.ca], mode.spec, mode.kinds),
    ];
    await applyTo(kubeconfig, objects);
    [port] = (await freePorts(1)) as [number];
    const scoped = mode.providers.concat(mode.providers.some((p) => p.includes("ingressnginx")) ? [`--providers.kubernetesingressnginx.watchnamespace=${ns.name}`] : [`--providers.kubernetesingress.namespaces=${ns.name}`, `--providers.kubernetescrd.namespaces=${ns.name}`]);
    traefik = startTraefik({ kubeconfig, listen: `127.0.0.1:${port}`, args: scoped });
    await world.publishAt("n", port);
    await waitFor(async () => (await rpc(world.a, "n.example", "brig", "get-user").catch(() => undefined))?.status === 200, { description: "A→N through Traefik", timeoutMs: 60_000, intervalMs: 200 }).catch((error: unknown) => {
      throw new Error(`${String(error)}; Traefik said:\n${traefik.output().split("\n").filter((l) => /ERR|WRN|error/i.test(l)).slice(-15).join("\n")}`);
    });
  });
  afterAll(async () => {
    await traefik?.stop();
    if (n !== undefined) {
      world.backends.splice(world.backends.indexOf(n), 1);
      await n.close();
    }
    await ns?.delete();
  });

  it("carries A's call to N's brig, authenticated by the certificate Traefik passes on", async () => {
    const response = await rpc(world.a, "n.example", "brig", "get-user", '{"id":7}', { "wire-origin-request-id": "traefik-1" });
    expect(response.status).toBe(200);
    const received = n.components.brig.requests.at(-1);
    expect(received?.headers["wire-origin-domain"]).toBe("a.example");
    expect(received?.headers["request-id"]).toBe("traefik-1");
    expect(received?.body.toString()).toBe('{"id":7}');
  });

  it("refuses a forged certificate header from a client holding another valid certificate (authentication-failure)", async () => {
    const genuine = await federatorCertificate(world.ca, "federator.a.example");
    const evil = await federatorCertificate(world.ca, "federator.evil.example");
    const before = n.components.brig.requests.length;
    const response = await ingressCall(n, { port, certificate: evil, trust: [world.ca], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "a.example", ...mode.forge(genuine.certificatePem) } });
    expect(response.status).toBe(403);
    expect(json(response)["label"]).toBe("authentication-failure");
    expect(n.components.brig.requests.length).toBe(before);
  });

  it("refuses a client certificate from a CA outside N's bundle at TLS", async () => {
    const stranger = await federatorCertificate(await testCa("Stranger CA"), "federator.a.example");
    const before = n.components.brig.requests.length;
    await expect(ingressCall(n, { port, certificate: stranger, trust: [world.ca], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "a.example" } })).rejects.toThrow();
    expect(n.components.brig.requests.length).toBe(before);
  });

  it("enforces a suspension (A leaves N's allow list) without a restart, and lifts it", async () => {
    await n.writeConfig({ ...baseConfig("n", world.dns.address, []), listen: n.config.listen ?? {} });
    const refused = await rpc(world.a, "n.example", "brig", "get-user");
    expect(refused.status).toBe(533);
    expect(json(refused)["inner"]).toMatchObject({ label: "federation-denied" });
    await n.writeConfig({ ...baseConfig("n", world.dns.address, ["a.example"]), listen: n.config.listen ?? {} });
    expect((await rpc(world.a, "n.example", "brig", "get-user")).status).toBe(200);
  });

  it("refuses a pod that reaches N's federator port directly with a forged header", async () => {
    // Past Traefik, holding a valid federation certificate: still not the controller's.
    const genuine = await federatorCertificate(world.ca, "federator.a.example");
    const before = n.components.brig.requests.length;
    await expect(ingressCall(n, { certificate: genuine, trust: [world.ca], path: "/federation/brig/get-user", headers: { "wire-origin-domain": "a.example", ...mode.forge(genuine.certificatePem) } })).rejects.toThrow();
    expect(n.components.brig.requests.length).toBe(before);
  });
});
